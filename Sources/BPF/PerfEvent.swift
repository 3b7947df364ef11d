import CBPFSyscall
import Glibc

/// `perf_event_open(2)` for the events programs attach to (tracepoints, probes), and the
/// link that ties a program to one.
enum PerfEvent {
    static let tracepointType: UInt32 = 2  // PERF_TYPE_TRACEPOINT

    static let softwareType: UInt32 = 1  // PERF_TYPE_SOFTWARE
    static let bpfOutputConfig: UInt64 = 10  // PERF_COUNT_SW_BPF_OUTPUT
    static let sampleRaw: UInt64 = 1 << 10  // PERF_SAMPLE_RAW

    /// Opens an event of PMU `type`; `pid` -1 with no `cpu` watches every process (cpu 0, as
    /// libbpf does). Sampling fields are for `bpf_perf_event_output` rings.
    static func open(
        type: UInt32, config: UInt64, config1: UInt64 = 0, config2: UInt64 = 0,
        pid: Int32 = -1, cpu: Int32? = nil, sampleType: UInt64 = 0, samplePeriod: UInt64 = 0, wakeupEvents: UInt32 = 0,
        what: @autoclosure () -> String
    ) throws(AttachError) -> FileDescriptor {
        var attr = PerfEventAttr()
        attr.type = type
        attr.size = UInt32(PerfEventAttr.size)
        attr.config = config
        attr.samplePeriod = samplePeriod
        attr.sampleType = sampleType
        attr.wakeupEvents = wakeupEvents
        attr.config1 = config1
        attr.config2 = config2
        let cpu: Int32 = cpu ?? (pid == -1 ? 0 : -1)
        do {
            let fd = try Syscall.shim("perf_event_open \(what())") {
                attr.withUnsafeMutableBytes {
                    sbpf_perf_event_open($0.baseAddress, pid, cpu, -1, 8 /* PERF_FLAG_FD_CLOEXEC */)
                }
            }
            return try FileDescriptor(owning: Int32(truncatingIfNeeded: fd))
        } catch {
            throw .system(error)
        }
    }

    /// Attaches `program` to `event` with `BPF_LINK_CREATE` (and `cookie`); the link owns the event.
    static func attach(
        program: Int32, to event: consuming FileDescriptor, cookie: UInt64 = 0
    ) throws(AttachError) -> Link {
        do {
            let link = try LinkCommands.create(
                program: program, target: event.rawValue, attachType: LinkCommands.perfEventAttachType,
                perfEventCookie: cookie)
            return Link(link, perfEvent: event)
        } catch {
            throw .system(error)
        }
    }
}
