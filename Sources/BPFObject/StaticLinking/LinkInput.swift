import BTF
import ELF64

/// One section of an input as the linker sees it.
struct InputSection {
    let name: ByteString
    /// The ELF section; `nil` for an ephemeral one: a DATASEC with no section (`.kconfig`, `.ksyms`).
    let elf: Section?
    /// Dropped from the output (string tables, DWARF, `.BTF`, an empty `.text`, a repeated `license`).
    var isSkipped: Bool
    /// The output section it joins, and where its bytes start there.
    var output = 0
    var outputOffset: UInt64 = 0
    /// The DATASEC describing it (0: none).
    var dataSectionType: TypeID = 0
    /// Where that DATASEC's variable offsets start in the input's ``LinkInput/variableOffsets``.
    var firstVariableOffset = 0

    var isData: Bool { !isSkipped && (elf == nil || elf?.type == .progbits || elf?.type == .nobits) }
    var isRelocation: Bool { !isSkipped && elf?.type == .rel }
}

/// An input object checked as libbpf's linker checks it, with the lookups the link needs (each
/// built in one pass, so that no step searches the whole object per symbol or per variable).
struct LinkInput {
    let name: String
    let file: ELFFile
    /// By ELF section index, then the ephemeral sections.
    var sections: [InputSection]
    let symbols: SymbolTable
    let btf: BTF?
    let ext: BTFExt?
    /// The first section of each name, ephemeral ones included, DWARF ones apart (``section(named:)``).
    private var sectionByName: NameMap<Int>
    /// The DWARF sections and their relocations (most of an object's sections, never linked):
    /// found by name only when a name asks for them, in a table made then.
    private let hasDebugSections: Bool
    private var debugSectionByName: NameMap<Int>?
    /// Each non-static name's VAR and FUNC ids, and its first DATASEC entry.
    private(set) var declarations = NameMap<GlobalDeclaration>()
    /// The DATASECs' variable offsets, global variables placed by their symbols (clang leaves 0),
    /// one run per DATASEC (``InputSection/firstVariableOffset``).
    private(set) var variableOffsets: [UInt32] = []
    /// Each input symbol's output index (0: none yet).
    var symbolMap: [Int]
    /// Each own BTF type's output id (0: dropped), by `id - 1`.
    var typeMap: [TypeID] = []
    /// The relocation tables, checked on reading, by section position (nil: not a relocation section).
    private(set) var relocationTables: [RelocationTable?] = []

    init(name: String, file: ELFFile) throws(LinkError) {
        func fail(_ problem: LinkProblem) -> LinkError { LinkError(input: name, problem) }
        self.name = name
        self.file = file
        guard file.header.type == .relocatable, file.header.machine == .bpf else {
            throw fail(.notRelocatableBPF(type: file.header.type, machine: file.header.machine))
        }
        try Self.reading(name) { () throws(ELFError) in try file.requireSectionsApart() }
        var sections: [InputSection] = [InputSection(name: .empty, elf: nil, isSkipped: true)]
        var byName = NameMap<Int>(capacity: Int(file.header.sectionCount) + 4)
        var hasDebugSections = false
        sections.reserveCapacity(Int(file.header.sectionCount) + 4)  // a few ephemeral ones may follow
        var symbolSection: Section?
        var btfSection: Section?, extSection: Section?
        for section in file.sections.dropFirst() {
            guard !section.name.isEmpty else { throw fail(.unnamedSection(index: section.index)) }
            let alignment = section.alignment
            guard alignment & (alignment &- 1) == 0, alignment <= 4096 else {
                throw fail(.alignment(section: String(section.name), alignment))
            }
            var skipped = Self.isIgnored(section)
            if !skipped {
                switch section.type {
                case .symtab:
                    if let symbolSection { throw fail(.symbolTable(secondAt: max(symbolSection.index, section.index))) }
                    symbolSection = section
                case .progbits where section.name == ".BTF":
                    btfSection = section
                    skipped = true
                case .progbits where section.name == ".BTF.ext":
                    extSection = section
                    skipped = true
                case _ where section.name == ".BTF" || section.name == ".BTF.ext":
                    throw fail(.unsupportedSection(String(section.name), type: section.type))
                case .progbits:
                    if section.flags.contains(.execInstr), section.size % 8 != 0 {
                        throw fail(.partialInstruction(section: String(section.name), size: section.size))
                    }
                case .nobits, .rel:
                    break
                default:
                    throw fail(.unsupportedSection(String(section.name), type: section.type))
                }
            }
            if Self.isDebugInfo(section.name) {
                hasDebugSections = true
            } else {
                byName.insert(section.name, sections.count)
            }
            sections.append(InputSection(name: section.name, elf: section, isSkipped: skipped))
        }
        guard let symbolSection else { throw fail(.symbolTable(secondAt: nil)) }
        symbols = try Self.reading(name) { () throws(ELFError) in try file.symbols(in: symbolSection) }
        let btf = try btfSection.map { (section) throws(LinkError) in
            try Self.reading(name) { () throws(BTFError) in try BTF(section: section, of: file) }
        }
        self.btf = btf
        if let extSection {
            guard let btf else { throw fail(.extSection(".BTF.ext", .noBTF)) }
            ext = try Self.reading(name) { () throws(BTFError) in try BTFExt(section: extSection, of: file, btf: btf) }
        } else {
            ext = nil
        }
        self.sections = consume sections
        sectionByName = consume byName
        self.hasDebugSections = hasDebugSections
        symbolMap = [Int](filling: symbols.count, with: 0)
        try checkSymbols()
        try checkRelocations()
        try fixDataSections()
    }

    /// The first section named `name` (its position), DWARF ones included.
    mutating func section(named name: ByteString) -> Int? {
        let found = sectionByName[name]
        guard hasDebugSections, Self.isDebugInfo(name) else { return found }
        if debugSectionByName == nil {
            var table = NameMap<Int>()
            for (position, section) in sections.enumerated() where section.elf != nil && Self.isDebugInfo(section.name)
            {
                table.insert(section.name, position)
            }
            debugSectionByName = table
        }
        guard let debug = debugSectionByName?[name] else { return found }
        return min(found ?? debug, debug)
    }

    /// Whether `name` is a DWARF section's or its relocations' (dropped by the link).
    private static func isDebugInfo(_ name: ByteString) -> Bool {
        name.starts(with: ".debug_") || name.starts(with: ".rel.debug_")
    }

    /// Sections libbpf's linker drops: string tables, address-significance tables, DWARF and its
    /// relocations, relocations of `.BTF`/`.BTF.ext`, and a `.text` left empty (no subprograms).
    private static func isIgnored(_ section: Section) -> Bool {
        if section.type == .strtab || section.type == .llvmAddrsig { return true }
        let name = section.name
        if section.type == .progbits, section.size == 0, name.matches(".text") { return true }
        if name.starts(with: ".debug_") { return true }
        guard name.starts(with: ".rel") else { return false }
        let target = ByteString(UnsafeBufferPointer(rebasing: name.utf8[4...]))
        return target.starts(with: ".debug_") || target.matches(".BTF") || target.matches(".BTF.ext")
    }

    private func fail(_ problem: LinkProblem) -> LinkError { LinkError(input: name, problem) }

    /// `body`'s result, its ELF error as this input's link error.
    static func reading<T>(_ input: String, _ body: () throws(ELFError) -> T) throws(LinkError) -> T {
        do { return try body() } catch { throw LinkError(input: input, .elf(error)) }
    }

    /// `body`'s result, its BTF error as this input's link error.
    static func reading<T>(_ input: String, _ body: () throws(BTFError) -> T) throws(LinkError) -> T {
        do { return try body() } catch { throw LinkError(input: input, .btf(error)) }
    }

    /// Instructions: the only sections whose immediates the linker moves.
    static func isCode(_ section: Section) -> Bool { section.type == .progbits && section.flags.contains(.execInstr) }

    /// libbpf's symbol checks: a null symbol 0, known bindings and visibilities, well-formed externs.
    private func checkSymbols() throws(LinkError) {
        for symbol in symbols {
            func bad(_ problem: SymbolProblem) -> LinkError { fail(.invalidSymbol(index: symbol.index, problem)) }
            if symbol.index == 0 {
                guard symbol.nameOffset == 0, symbol.binding == .local, symbol.type == .notype,
                    symbol.visibility == .default, symbol.section == .undefined, symbol.value == 0, symbol.size == 0
                else { throw bad(.nonZeroNullSymbol) }
                continue
            }
            let binding = symbol.binding  // compared one by one: an array literal here is allocated per symbol
            guard binding == .local || binding == .global || binding == .weak else { throw bad(.binding(binding)) }
            guard symbol.visibility == .default || symbol.visibility == .hidden else {
                throw bad(.visibility(symbol.visibility))
            }
            switch symbol.section {
            case .undefined:
                guard symbol.type == .notype, symbol.binding != .local, symbol.value == 0, symbol.size == 0 else {
                    throw bad(.malformedExtern)
                }
            case let .index(index):
                guard index < file.header.sectionCount else { throw bad(.sectionOutOfRange(index)) }
                if symbol.type == .section, symbol.value != 0 { throw bad(.sectionSymbolWithValue(symbol.value)) }
                guard symbol.value <= UInt64(UInt32.max) else { throw bad(.valueTooLarge(symbol.value)) }
            default:
                break
            }
        }
    }

    /// libbpf's relocation checks, and one more: every relocated byte lies in its section.
    private mutating func checkRelocations() throws(LinkError) {
        for position in sections.indices where sections[position].isRelocation {
            guard let section = sections[position].elf else { continue }
            let (file, symbols) = (file, symbols)
            let table = try Self.reading(name) { () throws(ELFError) in
                try file.relocations(in: section, against: symbols)
            }
            if relocationTables.isEmpty { relocationTables = Array(filling: sections.count, with: nil) }
            relocationTables[position] = table
            let target = sections[table.targetSectionIndex]
            var sectionName: String { String(section.name) }
            guard table.targetSectionIndex > 0, section.name.dropping(prefix: ".rel") == target.name else {
                throw fail(.invalidRelocation(section: sectionName, index: 0, .target(String(target.name))))
            }
            if target.isSkipped { continue }
            guard let targetSection = target.elf, targetSection.type == .progbits || targetSection.type == .nobits
            else { throw fail(.invalidRelocation(section: sectionName, index: 0, .target(String(target.name)))) }
            let isCode = Self.isCode(targetSection)
            for (index, relocation) in table.enumerated() {
                func bad(_ fault: RelocationFault) -> LinkError {
                    fail(.invalidRelocation(section: sectionName, index: index, fault))
                }
                let type = BPFRelocationType(rawValue: relocation.type)
                guard type == .r64_64 || type == .r64_32 || type == .abs64 || type == .abs32 else {
                    throw bad(.type(type))
                }
                guard relocation.symbolIndex != 0 else { throw bad(.symbol(0)) }
                let width: UInt64 = isCode ? 8 : 1
                guard !isCode || relocation.offset % 8 == 0,
                    relocation.offset < targetSection.size, targetSection.size - relocation.offset >= width
                else { throw bad(.offset(relocation.offset)) }
            }
        }
    }

    /// As libbpf's `linker_fixup_btf`: a section shell for each DATASEC without an ELF section
    /// (except `.extern`, which the link itself resolves), and global variables' offsets from
    /// their symbols. Also indexes non-static VARs and FUNCs by name for symbol resolution.
    private mutating func fixDataSections() throws(LinkError) {
        guard let btf else { return }
        // The object symbols by section and name (the first of each), made when a global variable
        // first needs its place.
        var objectSymbols: FirstByName<SectionSymbol, UInt64>?
        let symbols = symbols  // captured by value, not through `self`
        // Global VARs and FUNCs are described for their symbols: about as many as the symbols.
        declarations = NameMap(capacity: min(btf.ownTypeCount, symbols.count))
        func placeOf(_ key: SectionSymbol) -> UInt64? {
            if objectSymbols == nil {
                var entries: [(key: SectionSymbol, value: UInt64)] = []
                for symbol in symbols where symbol.type == .object {
                    guard let index = symbol.section.sectionIndex else { continue }
                    entries.append((SectionSymbol(section: index, name: symbol.name), symbol.value))
                }
                objectSymbols = FirstByName(entries)
            }
            return objectSymbols?[key]
        }
        var id = btf.firstID
        while id < btf.endID {
            defer { id += 1 }
            let kind = try Self.reading(name) { () throws(BTFError) in try btf.header(id).kind }
            guard kind == .variable || kind == .function || kind == .dataSection else { continue }
            let declared = try Self.reading(name) { () throws(BTFError) in try btf.declaration(id) }
            if declared.kind == .variable || declared.kind == .function {
                if declared.linkage != 0 {
                    declarations.update(declarations.insert(declared.name, GlobalDeclaration()).entry) {
                        $0.types.append(id)
                    }
                }
                continue
            }
            guard declared.kind == .dataSection else { continue }
            let type = try Self.reading(name) { () throws(BTFError) in try btf.type(id) }
            let sectionName = declared.name
            let position: Int
            if let found = section(named: sectionName) {
                // A DATASEC naming a section that holds no data (a symbol or relocation table) is
                // ignored, as libbpf's linker drops it.
                guard sections[found].isData else { continue }
                position = found
            } else {
                if sectionName == ".extern" { continue }
                position = sections.count
                sectionByName.insert(sectionName, position)
                sections.append(InputSection(name: sectionName, elf: nil, isSkipped: false))
            }
            sections[position].dataSectionType = id
            sections[position].firstVariableOffset = variableOffsets.count
            variableOffsets.reserve(additional: type.vlen)
            for entry in type.variables {
                let variable = try Self.reading(name) { () throws(BTFError) in try btf.declaration(entry.type) }
                let isGlobal = (variable.kind == .variable || variable.kind == .function) && variable.linkage != 0
                if isGlobal {
                    declarations.update(declarations.insert(variable.name, GlobalDeclaration()).entry) {
                        if $0.entry == nil { $0.entry = (id, entry.type) }
                    }
                }
                guard variable.kind == .variable, variable.linkage == 1 else {  // 1: BTF_VAR_GLOBAL_ALLOCATED
                    variableOffsets.append(entry.offset)
                    continue
                }
                let index = sections[position].elf?.index ?? 0
                guard let value = placeOf(SectionSymbol(section: index, name: variable.name)) else {
                    throw fail(.unplacedVariable(String(variable.name), section: String(sectionName)))
                }
                variableOffsets.append(UInt32(value))  // checked to fit in checkSymbols
            }
        }
    }

    /// The BTF VAR or FUNC describing global symbol `name`, and the DATASEC listing it (0 for a free
    /// FUNC or an unannotated extern), as libbpf's `find_glob_sym_btf` finds them.
    func globalBTF(named name: ByteString) throws(LinkError) -> (section: TypeID, type: TypeID) {
        let found = declarations[name]
        let declared = found?.types ?? GlobalTypes()
        if let entry = found?.entry {
            // libbpf compares with the last non-static type of the name met before the DATASEC.
            if let before = declared.last(below: entry.section), before != entry.type {
                throw fail(.ambiguousBTF(symbol: String(name), before, entry.type))
            }
            return entry
        }
        guard let last = declared.last else { throw fail(.missingBTF(symbol: String(name))) }
        return (0, last)
    }
}

/// What one input's BTF declares of a non-static name.
struct GlobalDeclaration {
    /// Its VAR and FUNC ids.
    var types = GlobalTypes()
    /// Its first DATASEC entry: the DATASEC and the entry's type.
    var entry: (section: TypeID, type: TypeID)?
}

/// The non-static VAR and FUNC ids of one name, ascending: most names have one (no array then).
struct GlobalTypes {
    private var first: TypeID = 0
    private var more: [TypeID] = []

    mutating func append(_ id: TypeID) {
        if first == 0 { first = id } else { more.append(id) }
    }

    var last: TypeID? { more.last ?? (first == 0 ? nil : first) }

    /// The greatest id below `limit`, found by bisection (the ids are ascending).
    func last(below limit: TypeID) -> TypeID? {
        guard first != 0, first < limit else { return nil }
        var low = 0, high = more.count
        while low < high {
            let middle = (low + high) / 2
            if more[middle] < limit { low = middle + 1 } else { high = middle }
        }
        return low > 0 ? more[low - 1] : first
    }
}
