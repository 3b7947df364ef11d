import BPF
import BPFObject
import Glibc

/// `swiftbpf prog attach`: attaches a loaded program and pins the link so it outlives the command.
enum ProgAttach {
    static let targets = """
          tracepoint CATEGORY/NAME        tracepoint programs (perf event link)
          raw_tp NAME                     raw tracepoints
          tracing                         tp_btf, fentry/fexit/fmod_ret, lsm (target set at load)
          xdp IFACE [--mode generic|driver]
          tcx_ingress IFACE | tcx_egress IFACE
          netkit_primary IFACE | netkit_peer IFACE
          cgroup DIR ATTACH_TYPE          e.g. cgroup /sys/fs/cgroup/unified/app cgroup_inet4_connect
          uprobe BINARY:SYMBOL | uretprobe BINARY:SYMBOL
          usdt BINARY:PROVIDER:NAME       a program using libbpf's usdt.bpf.h (its specs map found
                                          among the program's maps); every site of the probe
          iter                            iterators (read the pin with cat)
          perf_event cpu_clock|task_clock PERIOD_NS [CPU]   every process on CPU (default 0)
        """

    static func run(_ args: Arguments, help: String) throws {
        // The command line is checked before any kernel object is touched.
        guard let pin = args.option("pin") else {
            throw UsageError(
                message: "attach needs --pin PATH: the link ends with this command unless it is pinned", help: help)
        }
        var words = Array(args.positionals.dropFirst())
        if args.option("mode") != nil, !words.contains("xdp") {
            throw UsageError(message: "--mode applies to xdp targets only", help: help)
        }
        let program: FileDescriptor
        if let path = args.option("pinned") {
            program = try KernelObjectIDs.open(pinned: path)
        } else {
            guard let first = words.first, let id = UInt32(first) else {
                throw UsageError(message: "expected 'attach ID TARGET…' or 'attach --pinned PATH TARGET…'", help: help)
            }
            program = try KernelObjectIDs.open(.program, id: id)
            words.removeFirst()
        }
        if words.first == "usdt" {
            try attachUSDT(program, words, pin: pin, help: help)
            return
        }
        let link = try attach(program, words, mode: args.option("mode"), help: help)
        try link.pin(at: pin)
        let info = try LinkInfo(of: link.descriptor)
        print("\(info.id): \(info.typeName)  prog \(info.programID)  pinned \(pin)")
    }

    /// `usdt BINARY:PROVIDER:NAME`: one uprobe.multi link (a program loaded for it, as SwiftBPF loads
    /// USDT programs on Linux 6.6+), else one uprobe per site, pinned at PIN, PIN_1, PIN_2… (bpffs
    /// takes no '.' in a name); if any pin fails, those made are removed.
    static func attachUSDT(_ program: borrowing FileDescriptor, _ words: [String], pin: String, help: String) throws {
        guard words.count == 2, let last = words[1].lastIndex(of: ":"),
            let middle = words[1][..<last].lastIndex(of: ":"), middle > words[1].startIndex
        else { throw UsageError(message: "'usdt' takes BINARY:PROVIDER:NAME", help: help) }
        let target = words[1]
        let (binary, provider, name) = (
            String(target[..<middle]), String(target[target.index(after: middle)..<last]),
            String(target[target.index(after: last)...])
        )
        let info = try ProgramInfo(of: program)
        var specs: Map?
        for id in info.mapIDs {
            let map = try Map(id: id)
            if map.name.hasPrefix("__bpf_usdt_spec"), map.valueSize == USDTSpec.size { specs = map }
        }
        guard let specs else { throw AttachError.target(.noUSDTSpecsMap) }
        var attached: USDTLink?
        do {
            attached = try Attach.usdt(
                program: program, throughUprobeMulti: true, specs: specs, binary: binary, provider: provider, name: name
            )
        } catch {
            guard case .system = error else { throw error }
        }
        // Not loaded for uprobe.multi (the kernel refused the link): one uprobe per site.
        let link =
            try attached
            ?? Attach.usdt(
                program: program, throughUprobeMulti: false, specs: specs, binary: binary, provider: provider,
                name: name)
        var pinned: [String] = []
        do {
            for index in 0..<link.linkCount {
                let path = index == 0 ? pin : "\(pin)_\(index)"
                try link.withLink(at: index) { attached in
                    try attached.pin(at: path)
                    pinned.append(path)
                    let info = try LinkInfo(of: attached.descriptor)
                    print("\(info.id): \(info.typeName)  prog \(info.programID)  pinned \(path)")
                }
            }
        } catch {
            for path in pinned { unlink(path) }
            throw error
        }
        print("usdt \(provider):\(name): \(link.siteCount) site\(link.siteCount == 1 ? "" : "s") in \(binary)")
    }

    /// The link for `words` (TARGET and its operands).
    static func attach(
        _ program: borrowing FileDescriptor, _ words: [String], mode: String?, help: String
    ) throws -> Link {
        func operand(_ what: String) throws -> String {
            guard words.count == 2 else {
                throw UsageError(message: "'\(words.first ?? "")' takes \(what)", help: help)
            }
            return words[1]
        }
        switch words.first {
        case "tracepoint":
            let target = try operand("CATEGORY/NAME")
            guard let slash = target.firstIndex(of: "/") else {
                throw UsageError(message: "expected CATEGORY/NAME, not '\(target)'", help: help)
            }
            return try Attach.tracepoint(
                program: program, category: String(target[..<slash]),
                name: String(target[target.index(after: slash)...]))
        case "raw_tp": return try Attach.rawTracepoint(program: program, name: try operand("a tracepoint NAME"))
        case "tracing":
            guard words.count == 1 else { throw UsageError(message: "'tracing' takes no operand", help: help) }
            return try Attach.rawTracepoint(program: program, name: nil)
        case "xdp":
            let flags: UInt32 =
                switch mode {
                case nil: 0
                case "generic": 2  // XDP_FLAGS_SKB_MODE
                case "driver": 4  // XDP_FLAGS_DRV_MODE
                case let other?:
                    throw UsageError(message: "--mode is 'generic' or 'driver', not '\(other)'", help: help)
                }
            return try Attach.xdp(program: program, interface: try operand("an interface name"), flags: flags)
        case "tcx_ingress":
            return try Attach.tcx(
                program: program, interface: try operand("an interface name"), attachType: .tcxIngress)
        case "tcx_egress":
            return try Attach.tcx(program: program, interface: try operand("an interface name"), attachType: .tcxEgress)
        case "netkit_primary":
            return try Attach.netkit(
                program: program, interface: try operand("an interface name"), attachType: .netkitPrimary)
        case "netkit_peer":
            return try Attach.netkit(
                program: program, interface: try operand("an interface name"), attachType: .netkitPeer)
        case "cgroup":
            guard words.count == 3 else { throw UsageError(message: "'cgroup' takes DIR ATTACH_TYPE", help: help) }
            guard let type = AttachType.named(words[2]) else {
                throw UsageError(message: "unknown attach type '\(words[2])'", help: help)
            }
            return try Attach.cgroup(program: program, path: words[1], attachType: type)
        case "uprobe", "uretprobe":
            let target = try operand("BINARY:SYMBOL")
            guard let colon = target.lastIndex(of: ":") else {
                throw UsageError(message: "expected BINARY:SYMBOL, not '\(target)'", help: help)
            }
            return try Attach.uprobe(
                program: program, binary: String(target[..<colon]),
                symbol: String(target[target.index(after: colon)...]),
                returnProbe: words[0] == "uretprobe")
        case "perf_event":
            guard words.count == 3 || words.count == 4, let period = UInt64(words[2]), period > 0,
                let cpu = words.count == 4 ? Int32(words[3]) : 0
            else {
                throw UsageError(message: "'perf_event' takes cpu_clock|task_clock PERIOD_NS [CPU]", help: help)
            }
            let source: PerfEventSource
            switch words[1] {
            case "cpu_clock": source = .cpuClock
            case "task_clock": source = .taskClock
            default: throw UsageError(message: "unknown perf event '\(words[1])' (cpu_clock or task_clock)", help: help)
            }
            return try Attach.perfEvent(program: program, source: source, samplePeriod: period, cpu: cpu)
        case "iter":
            guard words.count == 1 else { throw UsageError(message: "'iter' takes no operand", help: help) }
            return try Attach.iterator(program: program)
        case let other:
            throw UsageError(
                message: other.map { "unknown attach target '\($0)'" } ?? "attach needs a TARGET", help: help)
        }
    }
}
