import BTF
import ELF64

/// Links BPF objects into one, as libbpf's `bpf_linker` (`bpftool gen object`) does: sections of
/// one name appended at their alignment, symbols merged (a strong definition wins over weak ones
/// and resolves externs; two strong ones are an error), relocations rebased, `.maps` definitions
/// of one name checked equal, BTF appended then deduplicated, `.BTF.ext` records rebased.
///
/// Pure: inputs are ELF views, the output is bytes. Every input is checked before use (libbpf's
/// checks, and that relocations stay inside their sections); a malformed or unlinkable input is a
/// ``LinkError`` naming it. Work is linear in the inputs' sizes (symbols and sections are found
/// by name through tables) apart from BTF deduplication.
public struct BPFLinker {
    /// One object to link: a name for errors and the file.
    public struct Input: Sendable {
        public let name: String
        public let file: ELFFile

        public init(name: String, file: ELFFile) {
            self.name = name
            self.file = file
        }
    }

    /// Links `inputs`, in order, into one relocatable BPF object (the bytes of an ELF file).
    public static func link(_ inputs: [Input]) throws(LinkError) -> [UInt8] {
        guard let first = inputs.first else { throw LinkError(input: nil, .noInputs) }
        // Every input is opened first, so that the tables are made once for their sum; the inputs
        // before one that cannot be opened are still linked first: their errors come first, as
        // with libbpf, which takes one file after the other.
        var opened: [LinkInput] = []
        opened.reserveCapacity(inputs.count)
        var unopened: LinkError?
        for input in inputs {
            do throws(LinkError) {
                guard input.file.byteOrder == first.file.byteOrder else {
                    throw LinkError(input: input.name, .byteOrder(input.file.byteOrder, expected: first.file.byteOrder))
                }
                opened.append(try LinkInput(name: input.name, file: input.file))
            } catch {
                unopened = error
                break
            }
        }
        if opened.isEmpty, let unopened { throw unopened }
        var linker = BPFLinker(opening: opened, inputBytes: inputs.reduce(0) { $0 + $1.file.bytes.count })
        linker.inputs = consume opened  // moved: the inputs' tables stay unique, written in place
        for k in linker.inputs.indices { try linker.add(k) }
        if let unopened { throw unopened }
        return try linker.output()
    }

    let byteOrder: ByteOrder
    var inputs: [LinkInput] = []
    var sections: [OutputSection] = []
    var sectionByName: NameMap<Int>
    /// Sections given an ELF section so far (their order is their ELF index's).
    var realSectionCount = 0
    /// Symbol 0 is the null symbol.
    var symbols: [OutputSymbol] = [OutputSymbol(name: .empty, binding: .local, type: .notype, place: .undefined)]
    var globals: [GlobalSymbol] = []
    var globalByName: NameMap<Int>
    /// The merged BTF types, in wire form with interned names, ids from 1 (names are views into the inputs).
    var types = DedupTypes()
    /// The strings `.BTF.ext` records name (files, source lines, access strings, sections): the
    /// start of the output BTF's string table, where the records' offsets point.
    var extStrings = StringTableBuilder()
    /// What declaration comparisons share over the link: a budget of pairs, reused buffers.
    var comparisons: ComparisonState

    /// A linker with room for `inputs` (checked, all of one byte order, at least one): the
    /// tables are made once for their sum, not grown per input.
    init(opening inputs: [LinkInput], inputBytes: Int) {
        byteOrder = inputs[0].file.byteOrder
        comparisons = ComparisonState(budget: 4 * inputBytes + 4096)
        let symbolCount = inputs.reduce(0) { $0 + $1.symbols.count }
        let sectionCount = inputs.reduce(0) { $0 + $1.sections.count }
        symbols.reserveCapacity(symbolCount + 1)
        globals.reserveCapacity(symbolCount)
        sections.reserveCapacity(sectionCount)
        sectionByName = NameMap(capacity: sectionCount)
        globalByName = NameMap(capacity: symbolCount)
        types.reserve(for: inputs.compactMap(\.btf))
    }

    /// Adds input `index` (in ``inputs``, after the ones before it).
    private mutating func add(_ index: Int) throws(LinkError) {
        try appendSectionData(of: index)
        try appendSymbols(of: index)
        try appendRelocations(of: index)
        try appendBTF(of: index)
        try appendExt(of: index)
    }

    func fail(_ input: Int, _ problem: LinkProblem) -> LinkError { LinkError(input: inputs[input].name, problem) }
}

/// A section of the output. Ephemeral ones (a DATASEC with no data: `.kconfig`, `.ksyms`, `.maps`
/// holding only externs) get no ELF section unless an input later brings data.
struct OutputSection {
    /// The name as the input that brought the section spells it (a view: inputs outlive the link).
    let nameBytes: ByteString
    /// The name as text, for errors.
    var name: String { String(nameBytes) }
    var type = SectionType.null
    var flags: ELF64.SectionFlags = []
    var entrySize: UInt64 = 0
    var alignment: UInt64 = 1
    var isEphemeral = true
    /// Position among the ELF sections made (index order), once not ephemeral.
    var order = 0
    var data: [UInt8] = []
    var size: UInt64 = 0
    var sectionSymbol = 0
    var hasBTF = false
    var variables: [(type: TypeID, offset: UInt32, size: UInt32)] = []
    var functionInfo: [(instruction: UInt32, type: TypeID)] = []
    /// Strings as offsets into the linker's ``BPFLinker/extStrings``.
    var lineInfo: [(instruction: UInt32, file: UInt32, line: UInt32, lineColumn: UInt32)] = []
    var coreRelocations: [(instruction: UInt32, type: TypeID, access: UInt32, kind: UInt32)] = []
    /// For a relocation section: the section relocated, and the relocations.
    var relocatedSection = 0
    var relocations: [(offset: UInt64, symbol: Int, type: UInt32)] = []

    init(name: ByteString) { nameBytes = name }
}

/// Where an output symbol lies.
enum SymbolPlace: Equatable {
    case undefined
    case section(Int)
    /// `SHN_ABS`, `SHN_COMMON` and other reserved indices, kept.
    case reserved(UInt16)
}

struct OutputSymbol {
    /// A view into the input that brought the symbol.
    let name: ByteString
    var binding: SymbolBinding
    var type: SymbolType
    var visibility: SymbolVisibility = .default
    var place: SymbolPlace
    var value: UInt64 = 0
    var size: UInt64 = 0
}

/// A global or weak symbol (defined or extern), by name across inputs.
struct GlobalSymbol {
    var symbol: Int
    /// The output section (ephemeral ones included); `nil` for unannotated externs.
    var section: Int?
    /// The BTF VAR or FUNC in the output, once appended.
    var typeID: TypeID = 0
    /// The VAR's or FUNC's underlying type: to be taken from the next input's BTF (`wanted`), taken
    /// from input `input` as its type `source` (pending its output id), or settled.
    var underlying = Underlying.wanted
    /// The input and type whose declaration the next input's is compared with.
    var declaration: (input: Int, type: TypeID)
    var variableIndex: Int?
    var isExtern: Bool
    var isWeak: Bool

    enum Underlying: Equatable {
        case wanted
        case pending(source: TypeID, declaration: TypeID)
        case settled
    }
}
