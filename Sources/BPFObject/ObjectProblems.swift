import BTF
import ELF64

/// Why a program cannot be cut out of its section (``ObjectError/invalidProgram(name:section:reason:)``).
public enum ProgramProblem: Hashable, Sendable, CustomStringConvertible {
    /// A section of `size` bytes, not a whole number of 8-byte instructions.
    case sectionNotInstructions(size: UInt64)
    case instructionsOutsideSection(Range<Int>)
    case nameTooLong(bytes: Int, limit: Int)
    /// A symbol name that runs past `limit` bytes without its NUL (ELF64 reads it as empty).
    case nameLongerThan(limit: Int)
    /// A function symbol at byte `offset`, not an instruction inside the section.
    case startNotInstruction(offset: UInt64)
    /// A function of `size` bytes at byte `offset` crossing the section end.
    case crossesSectionEnd(size: UInt64, offset: UInt64)
    /// A function starting at byte `offset`, inside the function before it (which ends at byte `previousEnd`).
    case overlapsPreviousFunction(offset: UInt64, previousEnd: UInt64)
    /// No entry program (or, for the linker, no program) of that name.
    case noSuchProgram
    /// A struct_ops program used by two members, or by none.
    case structOpsMemberTwice, structOpsUnused

    public var description: String {
        switch self {
        case let .sectionNotInstructions(size): "section size \(size) is not a whole number of 8-byte instructions"
        case let .instructionsOutsideSection(range):
            "instructions \(range.lowerBound)..<\(range.upperBound) lie outside the section"
        case let .nameTooLong(bytes, limit): "a \(bytes)-byte name (at most \(limit))"
        case let .nameLongerThan(limit): "a name longer than \(limit) bytes"
        case let .startNotInstruction(offset): "starts at byte \(offset), not an instruction inside the section"
        case let .crossesSectionEnd(size, offset): "size \(size) at byte \(offset) crosses the section end"
        case let .overlapsPreviousFunction(offset, end):
            "starts at byte \(offset), inside the function before it (which ends at byte \(end))"
        case .noSuchProgram: "no program of that name"
        case .structOpsMemberTwice: "used at two different struct_ops members"
        case .structOpsUnused: "no struct_ops map names it"
        }
    }
}

/// Why a relocation or extern cannot be satisfied (``ObjectError/unresolvedRelocation(program:instruction:symbol:reason:)``).
public enum RelocationProblem: Hashable, Sendable, CustomStringConvertible {
    case externWithoutSecondHalf
    /// A symbol defined in no section (undefined, absolute, common…).
    case symbolNotInSection(SymbolSection)
    /// A relocated call whose `src_reg` is not `BPF_PSEUDO_CALL`.
    case callNotBPFToBPF(source: UInt8)
    case callTargetNotCode
    /// A relocated instruction that is neither `ld_imm64` nor a call.
    case unexpectedInstruction(opcode: UInt8)
    case callbackOutsideSection
    case callbackNotInstruction
    case noMapAt(offset: UInt64, section: String)
    case offsetOutsideSection(offset: Int64, section: String)
    /// The symbol's own value lies past the section (before any addend).
    case symbolOutsideSection(value: UInt64, section: String)
    /// A section that is neither code, maps nor global data.
    case sectionNotReferable(String)
    /// An undefined symbol that is neither `__kconfig` nor `__ksym`.
    case undefinedSymbol
    /// A strong `__kconfig` extern the kernel configuration lacks.
    case configMissing
    /// A configuration value its extern's type cannot hold.
    case configValue(String, ConfigValueProblem)
    /// A strong `__ksym` extern the kernel lacks (a function or variable, looked up in BTF or kallsyms).
    case ksymMissing(function: Bool, inKallsyms: Bool)
    case tooManyModules
    case externNotResolved
    /// A relocation in `.maps` that lies in no map definition, or is not a slot of `map`'s `values`.
    case outsideMapDefinitions
    case notMapSlot(map: String)
    /// A relocation in a struct_ops section that lies in no struct_ops variable.
    case outsideStructOpsVariables

    /// Why a configuration value does not fit an extern.
    public enum ConfigValueProblem: Error, Hashable, Sendable, CustomStringConvertible {
        case notBool, notNumber, notTristate, notString
        case integerSize(Int), outOfRange(bytes: Int)
        case kindHoldsNoValue(Kind)

        public var description: String {
            switch self {
            case .notBool: "not a bool"
            case .notNumber: "not a number"
            case .notTristate: "not a tristate"
            case .notString: "not a string"
            case let .integerSize(size): "a \(size)-byte integer"
            case let .outOfRange(bytes): "out of range for \(bytes) bytes"
            case let .kindHoldsNoValue(kind): "a \(kind) cannot hold a kernel configuration value"
            }
        }
    }

    public var description: String {
        switch self {
        case .externWithoutSecondHalf: "ld_imm64 of an extern has no second half"
        case let .symbolNotInSection(section): "symbol is not defined in a section (\(section))"
        case let .callNotBPFToBPF(source): "relocated call is not a BPF-to-BPF call (src_reg \(source))"
        case .callTargetNotCode: "call target is not code"
        case let .unexpectedInstruction(opcode):
            "relocation of a \(String(opcode, radix: 16)) instruction, expected ld_imm64 or call"
        case .callbackOutsideSection: "callback target lies outside its section"
        case .callbackNotInstruction: "callback target is not an instruction"
        case let .noMapAt(offset, section): "no map is defined at offset \(offset) of \(section)"
        case let .offsetOutsideSection(offset, section): "offset \(offset) outside section \(section)"
        case let .symbolOutsideSection(value, section): "symbol value \(value) outside section \(section)"
        case let .sectionNotReferable(section): "section '\(section)' is neither code, maps nor global data"
        case .undefinedSymbol: "undefined symbol that is neither __kconfig nor __ksym"
        case .configMissing: "the kernel configuration has no such option and the extern is not __weak"
        case let .configValue(text, problem): "value '\(text)' does not fit its type: \(problem)"
        case let .ksymMissing(function, inKallsyms):
            "\(function ? "kernel function" : "kernel variable") not found in \(inKallsyms ? "/proc/kallsyms" : "kernel BTF")"
                + " (and the extern is not __weak)"
        case .tooManyModules: "kfuncs of more modules than fd_array can index"
        case .externNotResolved: "extern was not resolved"
        case .outsideMapDefinitions: "the relocation lies in no map definition"
        case let .notMapSlot(map): "the relocation is not a slot of map '\(map)' values"
        case .outsideStructOpsVariables: "the relocation lies in no struct_ops variable"
        }
    }
}

/// Why an instruction cannot be relocated (``ObjectError/invalidInstruction(program:instruction:reason:)``).
public enum InstructionProblem: Hashable, Sendable, CustomStringConvertible {
    /// A relocation at byte `offset`, not an instruction of the `sectionSize`-byte section.
    case relocationNotInstruction(offset: UInt64, sectionSize: UInt64)
    /// An `ld_imm64` or call naming a kernel object (`src_reg` `source`) without a relocation.
    case kernelReferenceWithoutRelocation(call: Bool, source: UInt8)
    /// A call to instruction `instruction` of `section`, which starts no function.
    case callTargetNotFunction(instruction: Int, section: String)
    case coreOutsideFunctions
    case unknownCOREKind(UInt32)
    /// A CO-RE relocation that cannot be applied.
    case core(COREProblem)

    public var description: String {
        switch self {
        case let .relocationNotInstruction(offset, sectionSize):
            "relocation at byte \(offset) is not an instruction of the \(sectionSize)-byte section"
        case let .kernelReferenceWithoutRelocation(call, source):
            "\(call ? "call" : "ld_imm64") with src_reg \(source) (a kernel reference) but no relocation: refused,"
                + " as no object may name the loader's descriptors or BTF ids"
        case let .callTargetNotFunction(instruction, section):
            "call target (instruction \(instruction) of section \(section)) is not the start of a function"
        case .coreOutsideFunctions: "CO-RE relocation outside every function of the section"
        case let .unknownCOREKind(kind): "unknown CO-RE relocation kind \(kind)"
        case let .core(problem): "CO-RE: \(problem)"
        }
    }
}

/// Why a CO-RE relocation cannot be applied (``InstructionProblem/core(_:)``).
public enum COREProblem: Hashable, Sendable, CustomStringConvertible {
    case accessStringTooLong(bytes: Int, limit: Int)
    case malformedAccess(String)
    case accessTooLong(steps: Int, limit: Int)
    case notEnumerator(access: String, typeID: TypeID)
    case typeRelocationAccess(String)
    /// Candidates of the target BTF that disagree on the value.
    case ambiguous(
        kind: CORERelocationKind, access: String, first: String, firstValue: UInt64, second: String, secondValue: UInt64
    )
    /// The relocated instruction cannot take the value (`kind` and `access` name the relocation).
    case patch(kind: CORERelocationKind, access: String, PatchProblem)

    /// Why an instruction cannot take a CO-RE value.
    public enum PatchProblem: Hashable, Sendable, CustomStringConvertible {
        case aluWithoutImmediate
        case immediateDiffers(found: Int32, local: UInt64)
        case valueTooWide(UInt64)
        case offsetDiffers(found: Int16, local: UInt64)
        case offsetTooWide(UInt64)
        case fieldSize(Int)
        case opcode(UInt8)

        public var description: String {
            switch self {
            case .aluWithoutImmediate: "relocated ALU instruction has no immediate"
            case let .immediateDiffers(found, local): "instruction holds \(found), the local BTF says \(local)"
            case let .valueTooWide(value): "value \(value) does not fit a 32-bit immediate"
            case let .offsetDiffers(found, local): "offset \(found) differs from the local \(local)"
            case let .offsetTooWide(value): "offset \(value) does not fit 16 bits"
            case let .fieldSize(size): "field size \(size) cannot be loaded directly"
            case let .opcode(opcode): "cannot relocate opcode 0x\(String(opcode, radix: 16))"
            }
        }
    }

    public var description: String {
        switch self {
        case let .accessStringTooLong(bytes, limit): "access string of \(bytes) bytes (at most \(limit))"
        case let .malformedAccess(access): "malformed access string '\(access.prefix(80))'"
        case let .accessTooLong(steps, limit): "access string of \(steps) steps (at most \(limit))"
        case let .notEnumerator(access, typeID): "access '\(access)' is not an enumerator of [\(typeID)]"
        case let .typeRelocationAccess(access): "type relocation with access '\(access)'"
        case let .ambiguous(kind, access, first, firstValue, second, secondValue):
            "ambiguous \(kind) for \(access): candidates \(first) and \(second) give \(firstValue) and \(secondValue)"
        case let .patch(kind, access, problem): "\(kind) \(access): \(problem)"
        }
    }
}

/// Why a global variable cannot take a value (``ObjectError/invalidGlobal(name:reason:)``).
public enum GlobalProblem: Hashable, Sendable, CustomStringConvertible {
    case noSuchVariable
    /// `given` bytes for a `size`-byte variable.
    case sizeMismatch(given: Int, size: Int)

    public var description: String {
        switch self {
        case .noSuchVariable: "no global variable of that name in a data section"
        case let .sizeMismatch(given, size): "\(given) bytes given for a \(size)-byte variable"
        }
    }
}
