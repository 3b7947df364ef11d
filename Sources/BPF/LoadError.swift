import BPFObject
import BTF

/// Why loading an object failed; everything created before the failure has been closed.
public enum LoadError: Error, Sendable, CustomStringConvertible {
    case spec(ObjectError)
    /// The object's byte order is not the host's: it can be read and relocated, not loaded.
    case foreignByteOrder
    case map(name: String, error: SyscallError)
    case program(ProgramLoadError)
    /// A program whose section names no program type, and none was given.
    case missingProgramType(program: String, section: String)
    /// An attach target (`tp_btf/…`, `fentry/…`, `lsm/…`, `iter/…`) not found in kernel BTF.
    case attachTarget(program: String, target: String, reason: AttachTargetProblem)
    /// A map pinned by name: a name that would leave the pin root, no bpffs there, a pinned map of
    /// another shape, or a failed pin.
    case pin(map: String, path: String, reason: PinProblem)
    /// An initial value of a program array or map of maps that cannot be set.
    case slot(map: String, key: UInt32, reason: SlotProblem)
    /// A program uses a map the load did not create (`autoCreate` off).
    case mapNotCreated(map: String, program: String)
    /// The kernel's BTF (or the CO-RE target file given instead) does not read.
    case kernelBTF(path: String, error: BTFError)
    /// A kernel object the load needs could not be opened: the step, and the kernel's error.
    case kernel(step: String, error: SyscallError)
    /// The load's BPF token could not be made (``LoadOptions/token``).
    case token(TokenError)
    /// The load's BPF token does not delegate what creating `object` needs (the kernel said `EPERM`).
    case notDelegated(MissingDelegation, for: String)

    public var description: String {
        switch self {
        case let .spec(e): "\(e)"
        case .foreignByteOrder: "the object's byte order differs from this machine's: it cannot be loaded here"
        case let .map(name, error): "creating map '\(name)': \(error)"
        case let .program(e): "\(e)"
        case let .missingProgramType(program, section):
            "program '\(program)': section '\(section)' names no program type (give one explicitly)"
        case let .attachTarget(program, target, reason): "program '\(program)': attach target '\(target)': \(reason)"
        case let .pin(map, path, reason): "map '\(map)' pinned at '\(path)': \(reason)"
        case let .slot(map, key, reason): "map '\(map)' slot \(key): \(reason)"
        case let .mapNotCreated(map, program):
            "program '\(program)' uses map '\(map)', which is not created (autoCreate is off)"
        case let .kernelBTF(path, error): "kernel BTF '\(path)': \(error)"
        case let .kernel(step, error): "\(step): \(error)"
        case let .token(error): "\(error)"
        case let .notDelegated(missing, object):
            "\(object): the BPF token does not delegate \(missing), so the kernel refused it (EPERM)"
        }
    }
}
