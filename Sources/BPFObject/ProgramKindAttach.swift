import BTF

/// What a section name says about attaching: the one place, beside the generated section table,
/// that reads meaning into section families (the loader and `Attach.auto` ask here).
extension ProgramKind {
    /// The section family: the libbpf pattern up to its first `+` or `.` (`tp_btf`, `fentry`, `uprobe`…).
    public var family: Substring { pattern.prefix { $0 != "+" && $0 != "." } }

    /// The kernel BTF type a program attached by BTF id (`SEC_ATTACH_BTF`) names, with its kind:
    /// the typedef `btf_trace_<tracepoint>` for `tp_btf`, the function `bpf_lsm_<hook>` for `lsm`,
    /// `bpf_iter_<target>` for `iter`, else the target function itself. Nil without a target.
    public var attachBTFName: (name: String, kind: Kind)? {
        guard let target = attachTarget else { return nil }
        return switch family {
        case "tp_btf": ("btf_trace_" + target, .typedef)
        case "lsm", "lsm_cgroup": ("bpf_lsm_" + target, .function)
        case "iter": ("bpf_iter_" + target, .function)
        default: (target, .function)
        }
    }

    /// How a program of this kind attaches by its section alone, as libbpf's `bpf_program__attach`.
    public enum AutoAttach: Hashable, Sendable {
        case tracepoint(category: String, name: String)
        case rawTracepoint(name: String)
        /// `tp_btf`, `fentry`, `fexit`, `fmod_ret`, `lsm`: a raw tracepoint open without a name.
        case tracing
        case uprobe(binary: String, function: String, returnProbe: Bool)
        /// `uprobe.multi/BINARY:PATTERN`: every function of the binary the glob pattern matches, one link.
        case uprobeMulti(binary: String, pattern: String, returnProbe: Bool)
        /// `usdt/BINARY:PROVIDER:NAME`: a USDT probe (attached with its object: `Attach.auto(_:of:)`).
        case usdt(binary: String, provider: String, name: String)
        case iterator
        /// Runs once its struct_ops map is registered.
        case structOps
        case kprobe
        /// The section does not say enough, or the kind attaches to an explicit target
        /// (an interface, a cgroup, a socket).
        case needsTarget(Missing)

        /// What a section name lacks to attach by itself.
        public enum Missing: Hashable, Sendable, CustomStringConvertible {
            case tracepointName, rawTracepointName, uprobeFunction, usdtProbe
            /// The kind attaches to an explicit target (an interface, a cgroup, a socket).
            case explicitTarget

            public var description: String {
                switch self {
                case .tracepointName: "needs category/name"
                case .rawTracepointName: "needs a tracepoint name"
                case .uprobeFunction: "needs 'binary:function' after '/' to attach by section"
                case .usdtProbe: "needs 'binary:provider:name' after '/' to attach by section"
                case .explicitTarget: "programs attach to an explicit target (interface, cgroup, socket)"
                }
            }
        }
    }

    /// The attachment the section name alone describes.
    public var autoAttach: AutoAttach {
        switch family {
        case "tracepoint", "tp":
            guard let target = attachTarget, let slash = target.firstIndex(of: "/") else {
                return .needsTarget(.tracepointName)
            }
            return .tracepoint(category: String(target[..<slash]), name: String(target[target.index(after: slash)...]))
        case "raw_tp", "raw_tracepoint":
            guard let name = attachTarget else { return .needsTarget(.rawTracepointName) }
            return .rawTracepoint(name: name)
        case "tp_btf", "fentry", "fexit", "fmod_ret", "lsm":
            return .tracing
        case "uprobe", "uretprobe":
            guard let target = attachTarget, let colon = target.lastIndex(of: ":") else {
                return .needsTarget(.uprobeFunction)
            }
            let (binary, function) = (String(target[..<colon]), String(target[target.index(after: colon)...]))
            if pattern.hasPrefix(family + ".multi") {
                return .uprobeMulti(binary: binary, pattern: function, returnProbe: family == "uretprobe")
            }
            return .uprobe(binary: binary, function: function, returnProbe: family == "uretprobe")
        case "usdt":
            // BINARY:PROVIDER:NAME, split from the right (a path may hold ':').
            guard let target = attachTarget, let last = target.lastIndex(of: ":"),
                let middle = target[..<last].lastIndex(of: ":"), middle > target.startIndex
            else { return .needsTarget(.usdtProbe) }
            return .usdt(
                binary: String(target[..<middle]), provider: String(target[target.index(after: middle)..<last]),
                name: String(target[target.index(after: last)...]))
        case "iter": return .iterator
        case "struct_ops": return .structOps
        case "kprobe", "kretprobe", "ksyscall", "kretsyscall": return .kprobe
        default: return .needsTarget(.explicitTarget)
        }
    }
}
