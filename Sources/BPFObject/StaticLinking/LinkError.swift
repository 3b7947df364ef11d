import BTF
import ELF64

/// Why objects could not be linked by ``BPFLinker``: the input, the section or symbol, and why.
public struct LinkError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The input's name as given to the linker (`nil` for a problem of the whole link).
    public let input: String?
    public let problem: LinkProblem

    public init(input: String?, _ problem: LinkProblem) {
        self.input = input
        self.problem = problem
    }

    public var description: String { input.map { "\($0): \(problem)" } ?? "\(problem)" }
}

/// What makes objects unlinkable.
public enum LinkProblem: Hashable, Sendable, CustomStringConvertible {
    case noInputs
    case elf(ELFError)
    case btf(BTFError)
    /// Not an ELF64 relocatable BPF object.
    case notRelocatableBPF(type: FileType, machine: Machine)
    /// An input of another byte order than the first's.
    case byteOrder(ByteOrder, expected: ByteOrder)
    /// No `SHT_SYMTAB`, or a second one (section `index`).
    case symbolTable(secondAt: Int?)
    /// A section of a type a BPF object does not carry (`SHT_RELA`, notes, …).
    case unsupportedSection(String, type: SectionType)
    case unnamedSection(index: Int)
    /// An alignment that is not a power of two, or larger than 4 KiB.
    case alignment(section: String, UInt64)
    /// Code whose size is not a whole number of 8-byte instructions.
    case partialInstruction(section: String, size: UInt64)
    /// Two inputs' sections of one name that differ in type, flags or entry size.
    case incompatibleSections(String, field: String)
    /// `license` or `version` with other contents than an earlier input's.
    case differentContents(section: String)
    /// Merged sections past 4 GiB (a DATASEC's size is 32 bits).
    case sectionTooLarge(String)
    /// A merged section with more BTF variables than a DATASEC lists (65,535).
    case tooManyVariables(section: String, count: Int)
    /// More output sections than a section index holds without extended numbering.
    case tooManySections(Int)
    case invalidSymbol(index: Int, SymbolProblem)
    /// A global BTF variable of a data section with no symbol of its name there to place it.
    case unplacedVariable(String, section: String)
    case invalidRelocation(section: String, index: Int, RelocationFault)
    /// Two non-weak definitions of one global: in this input and in `firstInput`.
    case conflictingDefinitions(symbol: String, firstInput: String)
    /// A global declared or defined differently from an earlier input's.
    case mismatch(symbol: String, DeclarationMismatch)
    /// A global or extern without a BTF VAR or FUNC describing it.
    case missingBTF(symbol: String)
    /// Two BTF types describe one global.
    case ambiguousBTF(symbol: String, TypeID, TypeID)
    /// A global placed in another section than its earlier definition or declaration.
    case sectionMismatch(symbol: String, section: String, expected: String)
    /// A BTF type referring to one the linker dropped (a VAR of a discarded section).
    case droppedType(TypeID, referencedBy: TypeID)
    /// `.BTF.ext` records of a section the object lacks, or of another record size than earlier inputs'.
    case extSection(String, ExtProblem)

    public var description: String {
        switch self {
        case .noInputs: "no input objects"
        case let .elf(e): "\(e)"
        case let .btf(e): "\(e)"
        case let .notRelocatableBPF(type, machine):
            "not a relocatable BPF object (e_type \(type), e_machine \(machine.rawValue))"
        case let .byteOrder(order, expected): "\(order), but the first input is \(expected)"
        case let .symbolTable(second):
            second.map { "a second symbol table (section \($0)): one is supported" } ?? "no symbol table (.symtab)"
        case let .unsupportedSection(name, type): "section '\(name)' of type \(type) is not linkable"
        case let .unnamedSection(index): "section \(index) has no name"
        case let .alignment(section, value):
            "section '\(section)': alignment \(value) is not a power of two up to 4096"
        case let .partialInstruction(section, size):
            "section '\(section)': \(size) bytes is not a whole number of instructions"
        case let .incompatibleSections(name, field): "section '\(name)': \(field) differs from an earlier input's"
        case let .differentContents(section): "section '\(section)' differs from an earlier input's"
        case let .sectionTooLarge(name): "section '\(name)' would exceed 4 GiB"
        case let .tooManyVariables(section, count):
            "section '\(section)': \(count) BTF variables (a DATASEC lists at most 65,535)"
        case let .tooManySections(count): "\(count) output sections (at most 65,279)"
        case let .invalidSymbol(index, problem): "symbol \(index): \(problem)"
        case let .unplacedVariable(name, section): "no symbol in '\(section)' places the BTF variable '\(name)'"
        case let .invalidRelocation(section, index, fault): "relocation \(index) in '\(section)': \(fault)"
        case let .conflictingDefinitions(symbol, first):
            "'\(symbol)' is defined here and in \(first), neither weak"
        case let .mismatch(symbol, mismatch): "'\(symbol)' does not match its earlier declaration: \(mismatch)"
        case let .missingBTF(symbol): "no BTF VAR or FUNC describes the global '\(symbol)'"
        case let .ambiguousBTF(symbol, a, b): "BTF types \(a) and \(b) both describe '\(symbol)'"
        case let .sectionMismatch(symbol, section, expected):
            "'\(symbol)' is in section '\(section)', earlier in '\(expected)'"
        case let .droppedType(id, by): "BTF type \(by) refers to type \(id), which belongs to a dropped section"
        case let .extSection(name, problem): ".BTF.ext section '\(name)': \(problem)"
        }
    }
}

/// Why a symbol cannot be linked.
public enum SymbolProblem: Hashable, Sendable, CustomStringConvertible {
    case nonZeroNullSymbol
    case binding(SymbolBinding)
    case visibility(SymbolVisibility)
    /// An undefined symbol that is local, typed, or has a value or size.
    case malformedExtern
    case sectionOutOfRange(Int)
    case sectionSymbolWithValue(UInt64)
    /// A symbol in a symbol table, relocation table or other section that holds no code or data.
    case inUnlinkableSection(String)
    /// A symbol whose value and size reach past 4 GiB into the merged section.
    case valueTooLarge(UInt64)

    public var description: String {
        switch self {
        case .nonZeroNullSymbol: "symbol 0 is not all zeros"
        case let .binding(b): "binding \(b) is not LOCAL, GLOBAL or WEAK"
        case let .visibility(v): "visibility \(v) is not DEFAULT or HIDDEN"
        case .malformedExtern: "an undefined symbol must be global or weak, untyped, with no value or size"
        case let .sectionOutOfRange(index): "section \(index) does not exist"
        case let .sectionSymbolWithValue(value): "a section symbol with value \(value)"
        case let .inUnlinkableSection(name): "defined in '\(name)', which holds no code or data"
        case let .valueTooLarge(value): "value \(value) is too large"
        }
    }
}

/// Why a relocation cannot be linked.
public enum RelocationFault: Hashable, Sendable, CustomStringConvertible {
    case type(BPFRelocationType)
    case symbol(Int)
    /// An instruction relocation not at an instruction's start, or past the section's end.
    case offset(UInt64)
    /// A relocation against a section symbol of a data section (only code may be so relocated).
    case sectionSymbolInData
    /// A relocation against a symbol of a section the linker dropped.
    case droppedSymbol(Int)
    /// `.rel<name>` names another section than the one it relocates, or relocates an unlinkable one.
    case target(String)

    public var description: String {
        switch self {
        case let .type(t): "type \(t) is not one BPF objects use"
        case let .symbol(index): "symbol \(index) does not exist"
        case let .offset(offset): "offset \(offset) is not an instruction of the section"
        case .sectionSymbolInData: "relocation against a section symbol in a data section"
        case let .droppedSymbol(index): "symbol \(index) belongs to a section dropped from the output"
        case let .target(name): "relocates section '\(name)', which it cannot"
        }
    }
}

/// How two declarations of one global differ (libbpf's checks, with the values).
public enum DeclarationMismatch: Hashable, Sendable, CustomStringConvertible {
    /// Kinds differ (`nil`: void).
    case kinds(Kind?, Kind?)
    case names(String, String)
    case sizes(UInt32, UInt32)
    /// One static, the other not.
    case linkage
    case memberCount(Int, Int)
    case member(index: Int, name: String, what: String)
    case parameterCount(Int, Int)
    /// A forward declaration of one kind (struct, union) against a complete type of another.
    case forward(Kind)
    /// Two `.maps` definitions disagreeing on a field.
    case mapField(String)
    /// Not a VAR or FUNC.
    case notVariableOrFunction(Kind)
    /// A kind declarations cannot be compared through (a DATASEC, a tag).
    case unsupported(Kind)
    /// More type pairs to compare than the inputs' sizes allow.
    case tooComplex

    public var description: String {
        switch self {
        case let .kinds(a, b):
            "kinds \(a.map(String.init(describing:)) ?? "void") and \(b.map(String.init(describing:)) ?? "void")"
        case let .names(a, b): "names '\(a)' and '\(b)'"
        case let .sizes(a, b): "sizes \(a) and \(b)"
        case .linkage: "one is static"
        case let .memberCount(a, b): "\(a) and \(b) members"
        case let .member(index, name, what): "member \(index) ('\(name)'): \(what)"
        case let .parameterCount(a, b): "\(a) and \(b) parameters"
        case let .forward(kind): "forward declaration against \(kind)"
        case let .mapField(field): "map \(field) differs"
        case let .notVariableOrFunction(kind): "a \(kind), not a VAR or FUNC"
        case let .unsupported(kind): "\(kind) types are not compared"
        case .tooComplex: "types too entangled to compare"
        }
    }
}

/// Why `.BTF.ext` records cannot be merged.
public enum ExtProblem: Hashable, Sendable, CustomStringConvertible {
    /// `.BTF.ext` in an object without `.BTF`.
    case noBTF
    case noSuchSection
    case typeOutOfRange(TypeID)
    case instructionOutOfRange(UInt32)

    public var description: String {
        switch self {
        case .noBTF: "the object has no .BTF to name its types and strings"
        case .noSuchSection: "the object has no such section"
        case let .typeOutOfRange(id): "type \(id) does not exist"
        case let .instructionOutOfRange(offset): "instruction offset \(offset) is past the section"
        }
    }
}
