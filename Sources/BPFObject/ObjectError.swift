import BTF
import ELF64

/// Why an object could not be turned into a spec or linked, and where.
public enum ObjectError: Error, Hashable, Sendable, CustomStringConvertible {
    case elf(ELFError)
    case btf(BTFError)
    /// The file could not be read.
    case unreadable(SystemError)
    /// `e_machine` is neither EM_BPF nor the EM_NONE that old LLVM wrote.
    case unsupportedMachine(UInt16)
    case missingSymbolTable
    /// A map definition that cannot be read.
    case invalidMap(name: String, section: String, reason: MapProblem)
    /// A program that cannot be cut out of its section.
    case invalidProgram(name: String, section: String, reason: ProgramProblem)
    /// A relocation that names something the loader cannot satisfy.
    case unresolvedRelocation(program: String, instruction: Int, symbol: String, reason: RelocationProblem)
    /// An instruction that cannot be relocated (wrong opcode for its relocation, call out of range…).
    case invalidInstruction(program: String, instruction: Int, reason: InstructionProblem)
    /// A global variable that does not exist or cannot take the value given.
    case invalidGlobal(name: String, reason: GlobalProblem)
    /// An error of a kind the reading step does not expect (its calls throw only BTF and object
    /// errors today): reported as it describes itself rather than trapping.
    case unexpected(String)

    public var description: String {
        switch self {
        case let .elf(e): "\(e)"
        case let .btf(e): "\(e)"
        case let .unreadable(e): "\(e)"
        case let .unsupportedMachine(m): "e_machine \(m) is not EM_BPF (247) or EM_NONE (0): not a BPF object"
        case .missingSymbolTable: "the object has no symbol table (.symtab)"
        case let .invalidMap(name, section, reason): "map '\(name)' in section '\(section)': \(reason)"
        case let .invalidProgram(name, section, reason): "program '\(name)' in section '\(section)': \(reason)"
        case let .unresolvedRelocation(program, instruction, symbol, reason):
            "program '\(program)', instruction \(instruction): relocation against '\(symbol)': \(reason)"
        case let .invalidInstruction(program, instruction, reason):
            "program '\(program)', instruction \(instruction): \(reason)"
        case let .invalidGlobal(name, reason): "global variable '\(name)': \(reason)"
        case let .unexpected(what): "unexpected error: \(what)"
        }
    }
}

extension ObjectError {
    /// An error from code that throws both ``ObjectError`` and ``BTFError``: the first as it is, the
    /// second wrapped, anything else as ``unexpected(_:)``.
    static func converting(_ error: any Error) -> ObjectError {
        switch error {
        case let error as ObjectError: error
        case let error as BTFError: .btf(error)
        default: .unexpected("\(error)")
        }
    }
}

extension ObjectSpec {
    /// The longest name a program, map, extern or struct_ops variable may have. Names become
    /// Strings, one per symbol: symbols naming suffixes of one long string would otherwise cost
    /// symbols × length bytes. (The kernel keeps 15 bytes of a program or map name, and refuses
    /// BTF names past KSYM_NAME_LEN, 512.)
    public static let maximumNameLength = 1024

    /// `name` (of a map, extern or struct_ops variable) as a String, or an `invalidMap` error
    /// when it is longer than ``maximumNameLength``.
    @inline(never)
    static func name(_ name: ByteString, in section: String) throws(ObjectError) -> String {
        guard name.count <= maximumNameLength else {
            throw .invalidMap(
                name: shown(name), section: section, reason: .nameTooLong(bytes: name.count, limit: maximumNameLength))
        }
        return String(name)
    }

    /// A program's `name` as a String, or an `invalidProgram` error when it is longer than ``maximumNameLength``.
    @inline(never)
    static func programName(_ name: ByteString, in section: String) throws(ObjectError) -> String {
        guard name.count <= maximumNameLength else {
            throw .invalidProgram(
                name: shown(name), section: section, reason: .nameTooLong(bytes: name.count, limit: maximumNameLength))
        }
        return String(name)
    }

    /// The start of an overlong name, for its error.
    private static func shown(_ name: ByteString) -> String {
        String(decoding: name.utf8.prefix(40), as: UTF8.self) + "…"
    }
}
