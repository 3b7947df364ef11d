/// What a `perf_event` program samples: a PMU type and its config (`perf_event_attr.type/config`).
public struct PerfEventSource: Hashable, Sendable {
    /// `PERF_TYPE_*`: 0 hardware, 1 software, 2 tracepoint, or a dynamic PMU's type.
    public let type: UInt32
    /// The event within the type, e.g. `PERF_COUNT_SW_CPU_CLOCK` (0) for software events.
    public let config: UInt64

    /// Any event `perf_event_open(2)` accepts.
    public init(type: UInt32, config: UInt64) {
        self.type = type
        self.config = config
    }

    /// `PERF_COUNT_SW_CPU_CLOCK`: a software timer, available on every machine (VMs included).
    public static let cpuClock = PerfEventSource(type: 1, config: 0)
    /// `PERF_COUNT_SW_TASK_CLOCK`: time the watched task runs.
    public static let taskClock = PerfEventSource(type: 1, config: 1)
    /// `PERF_COUNT_HW_CPU_CYCLES`: needs a hardware PMU (often absent in VMs).
    public static let cpuCycles = PerfEventSource(type: 0, config: 0)
}

extension Attach {
    /// A `perf_event` program run on every `samplePeriod`-th event of `source` (nanoseconds for
    /// the clocks), for process `pid` on any CPU, or for every process on `cpu` (pid -1), through
    /// a BPF link that owns the event — one CPU per link, as libbpf's `bpf_program__attach_perf_event`.
    public static func perfEvent(
        program: borrowing FileDescriptor, source: PerfEventSource, samplePeriod: UInt64,
        pid: Int32 = -1, cpu: Int32 = 0
    ) throws(AttachError) -> Link {
        let event = try PerfEvent.open(
            type: source.type, config: source.config, pid: pid, cpu: pid == -1 ? cpu : -1,
            samplePeriod: samplePeriod, what: "type \(source.type) config \(source.config)")
        return try PerfEvent.attach(program: program.rawValue, to: event)
    }
}
