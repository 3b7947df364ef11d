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
        /// No USDT probe `provider:name` in the binary's `.note.stapsdt`.
        case noUSDT(provider: String, name: String, binary: String)
        /// A USDT site whose address (or semaphore) lies in no loadable segment of the right kind.
        case usdtSite(provider: String, name: String, address: UInt64, USDTSiteProblem)
        /// A USDT probe's argument string this machine's rules cannot read.
        case usdtArguments(provider: String, name: String, USDTSpecProblem)
        /// The object has no `__bpf_usdt_specs` map: its program does not include libbpf's `usdt.bpf.h`.
        case noUSDTSpecsMap
        /// A USDT program attached by section without its object (whose specs map it needs).
        case usdtNeedsObject
        /// More distinct USDT argument specs attached than the specs map holds.
        case usdtSpecsFull(limit: UInt32)

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
            case let .noUSDT(provider, name, binary): "no USDT probe \(provider):\(name) in '\(binary)'"
            case let .usdtSite(provider, name, address, problem):
                "USDT \(provider):\(name) at \(String(address, radix: 16)): \(problem)"
            case let .usdtArguments(provider, name, problem): "USDT \(provider):\(name): \(problem)"
            case .noUSDTSpecsMap:
                "the object has no __bpf_usdt_specs map (does the program include libbpf's usdt.bpf.h?)"
            case let .usdtSpecsFull(limit): "all \(limit) USDT spec slots are in use"
            case .usdtNeedsObject: "USDT programs attach with their object: Attach.auto(_:of:)"
            }
        }
    }
}

/// Why a USDT site cannot be probed.
public enum USDTSiteProblem: Hashable, Sendable, CustomStringConvertible {
    /// The probe address is in no executable loadable segment.
    case notInCode
    /// The semaphore is in no writable (non-executable) loadable segment.
    case semaphoreNotInData
    /// The binary's program headers cannot be read.
    case segments(String)

    public var description: String {
        switch self {
        case .notInCode: "the address lies in no executable loadable segment"
        case .semaphoreNotInData: "the semaphore lies in no non-executable loadable segment"
        case let .segments(error): "program headers: \(error)"
        }
    }
}
