import CBPFSyscall
import Glibc

/// `perf_event_open(2)` for the events programs attach to (tracepoints, probes), and the
/// link that ties a program to one.
enum PerfEvent {
    static let tracepointType: UInt32 = 2  // PERF_TYPE_TRACEPOINT
    static let attributeSize = 136  // PERF_ATTR_SIZE_VER8

    static let softwareType: UInt32 = 1  // PERF_TYPE_SOFTWARE
    static let bpfOutputConfig: UInt64 = 10  // PERF_COUNT_SW_BPF_OUTPUT
    static let sampleRaw: UInt64 = 1 << 10  // PERF_SAMPLE_RAW

    /// Opens an event of PMU `type`; `pid` -1 with no `cpu` watches every process (cpu 0, as
    /// libbpf does). Sampling fields are for `bpf_perf_event_output` rings.
    static func open(type: UInt32, config: UInt64, config1: UInt64 = 0, config2: UInt64 = 0,
                     pid: Int32 = -1, cpu: Int32? = nil, sampleType: UInt64 = 0, samplePeriod: UInt64 = 0, wakeupEvents: UInt32 = 0,
                     what: @autoclosure () -> String) throws(AttachError) -> FileDescriptor {
        var attr = [UInt8](repeating: 0, count: attributeSize)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value) { for (i, b) in $0.enumerated() { attr[offset + i] = b } }
        }
        put(type, at: 0)
        put(UInt32(attributeSize), at: 4)
        put(config, at: 8)
        put(samplePeriod, at: 16)
        put(sampleType, at: 24)
        put(wakeupEvents, at: 48)
        put(config1, at: 56)
        put(config2, at: 64)
        let cpu: Int32 = cpu ?? (pid == -1 ? 0 : -1)
        let fd = attr.withUnsafeMutableBytes { sbpf_perf_event_open($0.baseAddress, pid, cpu, -1, 8 /* PERF_FLAG_FD_CLOEXEC */) }
        guard fd >= 0 else { throw .system(SyscallError(operation: "perf_event_open \(what())", errno: Int32(-fd))) }
        return FileDescriptor(owning: Int32(fd))
    }

    /// Attaches `program` to `event` with `BPF_LINK_CREATE`; the link owns the event.
    static func attach(program: Int32, to event: consuming FileDescriptor) throws(AttachError) -> Link {
        do {
            let link = try LinkCommands.create(program: program, target: event.rawValue, attachType: LinkCommands.perfEventAttachType)
            return Link(link, perfEvent: event)
        } catch {
            throw .system(error)
        }
    }
}
