import BPFObject
import CBPFSyscall
import Glibc

/// Why an attachment failed.
public enum AttachError: Error, Sendable, CustomStringConvertible {
    case system(SyscallError)
    /// The kernel lacks what this attachment needs (e.g. kprobes without CONFIG_KPROBES).
    case unsupported(Unsupported)
    /// The section or target does not say where to attach.
    case target(TargetProblem)

    public var description: String {
        switch self {
        case let .system(e): "\(e)"
        case let .unsupported(what): "not supported by this kernel: \(what)"
        case let .target(why): "attach target: \(why)"
        }
    }
}

/// Attaching loaded programs to events.
public enum Attach {
    /// A tracepoint (`category/name`, e.g. `syscalls/sys_enter_openat`): its id from tracefs,
    /// a perf event for it, and a BPF link on that event.
    public static func tracepoint(
        program: borrowing FileDescriptor, category: String, name: String
    ) throws(AttachError) -> Link {
        let id = try Tracefs.tracepointID(category: category, name: name)
        let event = try PerfEvent.open(
            type: PerfEvent.tracepointType, config: id, what: "tracepoint \(category)/\(name)")
        return try PerfEvent.attach(program: program.rawValue, to: event)
    }

    /// XDP on the network interface `name` through a BPF link; the kernel picks driver mode,
    /// or generic (skb) mode where the driver has no XDP support. `flags` are `XDP_FLAGS_*`.
    public static func xdp(
        program: borrowing FileDescriptor, interface name: String, flags: UInt32 = 0
    ) throws(AttachError) -> Link {
        let index = try interfaceIndex(name)
        do {
            return Link(
                try LinkCommands.create(
                    program: program.rawValue, target: index, attachType: LinkCommands.xdpAttachType, flags: flags))
        } catch {
            throw .system(error)
        }
    }

    /// A tc program on the interface `name` through a tcx link (`tcx/ingress` → `BPF_TCX_INGRESS`,
    /// `tcx/egress` → `BPF_TCX_EGRESS`: the program's expected attach type), after the programs
    /// already there. Needs Linux 6.6 or newer.
    public static func tcx(
        program: borrowing FileDescriptor, interface name: String, attachType: AttachType
    ) throws(AttachError) -> Link {
        let index = try interfaceIndex(name)
        do {
            return Link(
                try LinkCommands.create(program: program.rawValue, target: index, attachType: attachType.rawValue))
        } catch  where error.errno == EINVAL {
            throw .unsupported(.tcx(interface: name, error))
        } catch {
            throw .system(error)
        }
    }

    /// A tc program on the netkit device `name` (`netkit/primary` → `BPF_NETKIT_PRIMARY`,
    /// `netkit/peer` → `BPF_NETKIT_PEER`) through a netkit link. Needs Linux 6.7 with CONFIG_NETKIT.
    public static func netkit(
        program: borrowing FileDescriptor, interface name: String, attachType: AttachType
    ) throws(AttachError) -> Link {
        let index = try interfaceIndex(name)
        do {
            return Link(
                try LinkCommands.create(program: program.rawValue, target: index, attachType: attachType.rawValue))
        } catch  where error.errno == EINVAL || error.errno == ENXIO || error.errno == EOPNOTSUPP {
            throw .unsupported(.netkit(interface: name, error))
        } catch {
            throw .system(error)
        }
    }

    /// The index of network interface `name`: the target of XDP, tcx and netkit links.
    private static func interfaceIndex(_ name: String) throws(AttachError) -> Int32 {
        let index = if_nametoindex(name)
        guard index > 0 else { throw .target(.noInterface(name)) }
        return Int32(bitPattern: index)
    }

    /// A cgroup program (`cgroup/connect4`, `cgroup_skb/ingress`, `sockops`, …) on the cgroup v2
    /// directory at `path` through a BPF link, at `attachType` (the program's expected attach type).
    public static func cgroup(
        program: borrowing FileDescriptor, path: String, attachType: AttachType
    ) throws(AttachError) -> Link {
        let cgroup: FileDescriptor
        do {
            cgroup = try FileDescriptor(
                owning: try Syscall.call("open") { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) })
        } catch {
            throw .target(.cgroup(path: path, error))
        }
        do {
            return Link(
                try LinkCommands.create(
                    program: program.rawValue, target: cgroup.rawValue, attachType: attachType.rawValue))
        } catch {
            throw .system(error)
        }
    }

    /// A raw tracepoint by name (`raw_tp/sys_enter`), or a `tp_btf`/`fentry`/… program (name nil).
    public static func rawTracepoint(program: borrowing FileDescriptor, name: String?) throws(AttachError) -> Link {
        do { return Link(try LinkCommands.openRawTracepoint(program: program.rawValue, name: name)) } catch {
            if error.errno == EPERM || error.errno == ENOTSUPP_ {
                throw .unsupported(.trampolines(error))
            }
            throw .system(error)
        }
    }

    /// A socket filter on `socket` (`SO_ATTACH_BPF`); it stays until the socket closes or
    /// ``detachSocketFilter(socket:)``.
    public static func socketFilter(program: borrowing FileDescriptor, socket: Int32) throws(AttachError) {
        var fd = program.rawValue
        guard setsockopt(socket, SOL_SOCKET, 50 /* SO_ATTACH_BPF */, &fd, socklen_t(MemoryLayout<Int32>.size)) == 0
        else {
            throw .system(SyscallError(operation: "setsockopt SO_ATTACH_BPF", errno: errno))
        }
    }

    /// Removes the socket filter from `socket` (`SO_DETACH_BPF`).
    public static func detachSocketFilter(socket: Int32) throws(AttachError) {
        var unused: Int32 = 0
        guard
            setsockopt(
                socket, SOL_SOCKET, 27 /* SO_DETACH_BPF = SO_DETACH_FILTER */, &unused,
                socklen_t(MemoryLayout<Int32>.size)) == 0
        else {
            throw .system(SyscallError(operation: "setsockopt SO_DETACH_BPF", errno: errno))
        }
    }

    /// Attaches by the program's section name, as libbpf's `bpf_program__attach` does:
    /// `tracepoint/…`/`tp/…`, `raw_tp/…`/`raw_tracepoint/…`, `tp_btf/…`, `fentry/…` and friends,
    /// `uprobe/BINARY:FUNCTION` and `uretprobe/…`, `uprobe.multi/BINARY:PATTERN` (a glob of function
    /// names), `iter/…`; USDT programs attach with their object (``auto(_:of:pid:cookie:)``).
    /// Kinds that need a target the section cannot give (XDP, tc, cgroups, sockets) are an error.
    public static func auto(program: borrowing FileDescriptor, kind: ProgramKind) throws(AttachError) -> Link {
        switch kind.autoAttach {
        case let .tracepoint(category, name): return try tracepoint(program: program, category: category, name: name)
        case let .rawTracepoint(name): return try rawTracepoint(program: program, name: name)
        case .tracing: return try rawTracepoint(program: program, name: nil)
        case let .uprobe(binary, function, returnProbe):
            return try uprobe(program: program, binary: binary, symbol: function, returnProbe: returnProbe)
        case let .uprobeMulti(binary, pattern, returnProbe):
            return try uprobeMulti(
                program: program, binary: binary, symbols: try functions(matching: pattern, in: binary),
                returnProbe: returnProbe)
        case .usdt: throw .target(.usdtNeedsObject)
        case .iterator: return try iterator(program: program)
        case .structOps: throw .target(.structOpsProgram)
        case .kprobe:
            guard Tracefs.kprobesAvailable else { throw .unsupported(.kprobes) }
            throw .unsupported(.kprobeAttachment)
        case let .needsTarget(missing): throw .target(.section(kind.pattern, missing))
        }
    }
}
