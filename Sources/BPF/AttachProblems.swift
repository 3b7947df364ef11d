import BPFObject

extension AttachError {
    /// What the kernel lacks for an attachment (``AttachError/unsupported(_:)``).
    public enum Unsupported: Hashable, Sendable, CustomStringConvertible {
        /// No `uprobe` PMU in /sys/bus/event_source/devices.
        case uprobes
        /// No kprobes (CONFIG_KPROBES is off).
        case kprobes
        /// Kprobe programs attach by section only through ``Attach/auto(program:kind:)`` once it
        /// supports them; this kernel has kprobes, SwiftBPF does not attach them yet.
        case kprobeAttachment
        /// tcx links on the interface (Linux 6.6 or newer), refused with this error.
        case tcx(interface: String, SyscallError)
        /// netkit links on the interface (a netkit device, CONFIG_NETKIT), refused with this error.
        case netkit(interface: String, SyscallError)
        /// BPF trampolines (`tp_btf`, `fentry`, `lsm`…), refused with this error.
        case trampolines(SyscallError)

        public var description: String {
            switch self {
            case .uprobes: "uprobes (no uprobe PMU in /sys/bus/event_source/devices)"
            case .kprobes: "kprobes (CONFIG_KPROBES is off)"
            case .kprobeAttachment: "kprobe attachment is not implemented yet"
            case let .tcx(interface, error): "tcx links on '\(interface)' (\(error); Linux 6.6 or newer needed)"
            case let .netkit(interface, error):
                "netkit links on '\(interface)' (\(error); a netkit device and a kernel with CONFIG_NETKIT are needed)"
            case let .trampolines(error): "\(error) (BPF trampolines may be unavailable)"
            }
        }
    }

    /// Why the target of an attachment is not there (``AttachError/target(_:)``).
    public enum TargetProblem: Hashable, Sendable, CustomStringConvertible {
        case noStructOpsMap(String)
        /// A struct_ops map the load did not create (`autoCreate` off).
        case structOpsMapNotCreated(String)
        /// A struct_ops program: it runs once its map is registered (``Attach/structOps(map:in:)``).
        case structOpsProgram
        /// The binary does not read as ELF (the reader's error, described).
        case binary(path: String, error: String)
        case noFunction(String, binary: String)
        case noInterface(String)
        case cgroup(path: String, SyscallError)
        /// A tracepoint name with `/` or `..`, or none in tracefs.
        case badTracepoint(category: String, name: String)
        case noTracepoint(category: String, name: String)
        /// The section (its pattern) does not say where to attach.
        case section(String, ProgramKind.AutoAttach.Missing)

        public var description: String {
            switch self {
            case let .noStructOpsMap(name): "the object has no struct_ops map '\(name)'"
            case let .structOpsMapNotCreated(name): "struct_ops map '\(name)' was not created (autoCreate is off)"
            case .structOpsProgram: "struct_ops programs run once their map is registered: Attach.structOps(map:in:)"
            case let .binary(path, error): "'\(path)': \(error)"
            case let .noFunction(symbol, binary): "no function '\(symbol)' in '\(binary)'"
            case let .noInterface(name): "no network interface '\(name)'"
            case let .cgroup(path, error): "cgroup '\(path)': \(error)"
            case let .badTracepoint(category, name): "bad tracepoint \(category)/\(name)"
            case let .noTracepoint(category, name): "no tracepoint \(category)/\(name) in tracefs"
            case let .section(pattern, missing): "'\(pattern)' \(missing)"
            }
        }
    }
}
