import BTF
import ELF64

/// Everything a BPF object declares, computed without the kernel: programs,
/// maps (BTF-defined, legacy, global data), license, kernel version, BTF.
///
/// This is what fuzzers, `swiftbpf inspect` and the loader read; the
/// ``Linker`` turns its programs into loadable instruction streams.
public struct ObjectSpec: Sendable {
    /// What the file says that nothing after open changes, shared by every copy of the spec: a
    /// copy retains this one reference rather than each view and table (loads copy the spec).
    private let file: ObjectFile

    /// The object's name: its file name up to the first `.`, as libbpf derives it (names internal maps).
    public var name: String { file.name }
    public var byteOrder: ByteOrder { file.elf.byteOrder }
    /// The `license` section's string (empty when absent).
    public var license: String { file.license }
    /// The `version` section's value (0 when absent).
    public var kernelVersion: UInt32 { file.kernelVersion }
    /// Entry programs and subprograms, in section then offset order.
    public internal(set) var programs: [ProgramSpec]
    /// Maps, adjustable before load (sizes, names, pinning), as libbpf's `bpf_map__set_*`.
    public var maps: [MapSpec]
    /// The object's BTF and BTF.ext, when it has them.
    public var btf: BTF? { file.btf }
    public var btfExt: BTFExt? { file.btfExt }
    /// Whether `.BTF.ext` holds CO-RE relocations (read in place: no copy of the BTFExt).
    package var hasCORERelocations: Bool { file.btfExt?.coreRelocations.isEmpty == false }
    /// `__ksym` externs: kernel functions and variables.
    public internal(set) var ksymExterns: [KsymExtern] = []
    /// `__kconfig` externs and where the `.kconfig` map holds them.
    public internal(set) var kconfigExterns: [KconfigExtern] = []
    /// `__kconfig` externs (index into ``kconfigExterns``) and `__ksym` externs by name, for the linker.
    var externIndex = ExternIndex()
    /// Sections that are neither programs, maps, data nor metadata the loader knows (reported, not fatal).
    public internal(set) var unknownSections: [String] = []
    /// Executable sections no section definition matches (their functions load only with an explicit type).
    public internal(set) var untypedProgramSections: [String] = []
    /// The ELF file, whose storage the spec's views keep alive.
    public var elf: ELFFile { file.elf }
    /// Its symbol table, validated on open.
    var symbols: SymbolTable { file.symbols }
    /// The object's DATASECs by name (found once, without building a name index).
    var dataSections: DataSections { file.dataSections }
    /// Each DATASEC that names an ELF section, with that section's index and size (found on open,
    /// where the sections are at hand): what the DATASEC fix-up for the kernel rewrites.
    private(set) var dataSectionPlacements: [(id: TypeID, section: Int, size: UInt64)] = []
    /// The named symbols of those sections, by section and name (gathered in open's symbol pass):
    /// where the fix-up places each variable.
    private(set) var dataSymbolOffsets = FirstByName<SectionSymbol, UInt32>([])

    /// Reads the object at `path`, named after its file name.
    public init(contentsOfFile path: String) throws(ObjectError) {
        let storage: ByteStorage
        do { storage = try ByteStorage(contentsOfFile: path) } catch { throw .unreadable(error) }
        let file: ELFFile
        do { file = try ELFFile(storage) } catch { throw .elf(error) }
        let base = path.split(separator: "/").last.map(String.init) ?? path
        try self.init(elf: file, name: String(base.prefix { $0 != "." }))
    }

    /// Reads an object held in memory (a copy is kept), e.g. one a generated skeleton embeds.
    public init(bytes: some Collection<UInt8>, name: String) throws(ObjectError) {
        let file: ELFFile
        do { file = try ELFFile(ByteStorage(copying: bytes)) } catch { throw .elf(error) }
        try self.init(elf: file, name: name)
    }

    /// Reads an opened ELF object; `name` names its internal maps (libbpf: file name up to the first `.`).
    public init(elf: ELFFile, name: String) throws(ObjectError) {
        self = try Self.reading(elf, name: name)  // built in a local and moved: no copy of the whole spec
    }

    private init(file: ObjectFile) {
        self.file = file
        programs = []
        maps = []
    }

    private static func reading(_ elf: ELFFile, name: String) throws(ObjectError) -> ObjectSpec {
        guard elf.header.machine == .bpf || elf.header.machine == .none else {
            throw .unsupportedMachine(elf.header.machine.rawValue)
        }
        let table: SymbolTable?
        do {
            try elf.requireSectionsApart()  // what is read once per section byte stays linear in the file
            table = try elf.symbolTable()
        } catch { throw .elf(error) }
        guard let symbols = table else { throw .missingSymbolTable }

        // Every section header decoded once, with its role, into temporary tables that open's
        // passes share (uncounted memory: on the stack when small, else malloc'd); nothing keeps
        // them past open. The few sections read by name are found in the same pass.
        let list = elf.sections
        return try withUnsafeTemporaryAllocation(of: Section.self, capacity: list.count) {
            (table) throws(ObjectError) -> ObjectSpec in
            try withUnsafeTemporaryAllocation(of: SectionUse.self, capacity: list.count) {
                (roles) throws(ObjectError) -> ObjectSpec in
                var named = NamedSections()
                for index in list.indices {
                    // (Fields passed, not the 112-byte Section, which would be copied to be passed.)
                    let section = table.baseAddress.unsafelyUnwrapped + index
                    section.initialize(to: list[index])
                    let role = Self.role(
                        type: section.pointee.type, flags: section.pointee.flags, size: section.pointee.size,
                        name: section.pointee.name)
                    (roles.baseAddress.unsafelyUnwrapped + index).initialize(to: (role, -2))
                    named.note(section.pointee.name, at: index)
                }
                return try reading(
                    elf, name: name, symbols: symbols, sections: UnsafeBufferPointer(table), roles: roles, named)
            }
        }
    }

    /// The sections open reads by name (the index of the first of each name).
    private struct NamedSections {
        var license: Int?, version: Int?, btf: Int?, btfExt: Int?

        mutating func note(_ name: ByteString, at index: Int) {
            switch name.utf8.count {
            case 4 where name.matches(".BTF"): btf = btf ?? index
            case 7 where name.matches("license"): license = license ?? index
            case 7 where name.matches("version"): version = version ?? index
            case 8 where name.matches(".BTF.ext"): btfExt = btfExt ?? index
            default: break
            }
        }
    }

    /// Reads the object whose sections (all of them, in index order) are `sections`, with their roles.
    private static func reading(
        _ elf: ELFFile, name: String, symbols: SymbolTable, sections: UnsafeBufferPointer<Section>,
        roles: UnsafeMutableBufferPointer<SectionUse>, _ named: NamedSections
    ) throws(ObjectError) -> ObjectSpec {
        let licenseSection = named.license.map { sections[$0] }, versionSection = named.version.map { sections[$0] }
        let btfSection = named.btf.map { sections[$0] }, btfExtSection = named.btfExt.map { sections[$0] }
        let license = licenseSection.map { Self.cString($0.data) } ?? ""
        var kernelVersion: UInt32 = 0
        if let version = versionSection, version.data.count >= 4 {
            kernelVersion = Record(UnsafeRawBufferPointer(rebasing: version.data[0..<4]), order: elf.byteOrder).u32(0)
        }
        var btf: BTF?, btfExt: BTFExt?
        if let btfSection {
            do {
                let read = try BTF(section: btfSection, of: elf)
                btf = read
                btfExt = try btfExtSection.map { section throws(BTFError) in
                    try BTFExt(section: section, of: elf, btf: read)
                }
            } catch { throw .btf(error) }
        }
        var spec = ObjectSpec(
            file: ObjectFile(
                elf: elf, symbols: symbols, name: name, license: license, kernelVersion: kernelVersion, btf: btf,
                btfExt: btfExt))
        try spec.readSections(sections, symbols, roles: roles)
        return consume spec
    }

    static func cString(_ bytes: UnsafeRawBufferPointer) -> String {
        String(repairing: UnsafeRawBufferPointer(rebasing: bytes[..<(bytes.firstIndex(of: 0) ?? bytes.endIndex)]))
    }

    /// The program or subprogram named `name`.
    public func program(named name: String) -> ProgramSpec? { programs.first { $0.name == name } }

    /// The index of the program that starts at `instruction` of section `section` (what a call
    /// relocation targets), by binary search.
    public func programIndex(startingAt instruction: Int, inSection section: Int) -> Int? {
        Self.program(startingAt: instruction, inSection: section, programs)
    }
    /// The map named `name`.
    public func map(named name: String) -> MapSpec? { maps.first { $0.name == name } }
    /// Entry programs: those outside `.text`.
    public var entryPrograms: [ProgramSpec] { programs.filter { !$0.isSubprogram } }

    /// Chooses whether a load loads the entry program `name` (all do by default), as libbpf's
    /// `bpf_program__set_autoload`: a program this kernel would refuse can stay out of a load.
    public mutating func setAutoLoad(_ load: Bool, program name: String) throws(ObjectError) {
        guard let index = programs.firstIndex(where: { $0.name == name && !$0.isSubprogram }) else {
            throw .invalidProgram(name: name, section: "", reason: .noSuchProgram)
        }
        programs[index].autoLoad = load
    }
}

extension ObjectSpec {
    /// What a section is to the object spec, by type and name.
    enum SectionRole {
        /// Metadata or debug info (`license`, `.BTF`, `.debug_*`, relocations…): read elsewhere or never.
        case ignored
        case btfMaps, legacyMaps, structOps
        /// Global data (`.data`, `.rodata`, `.bss`, `.data.*`…, `.metadata`): an internal array map.
        case data
        /// Executable code with instructions (its flags and size say so), and relocation tables.
        case program, relocations
        case other
    }

    /// A section's role, and the first symbol at its offset 0 (see the `readPrograms` that gathers
    /// function symbols).
    typealias SectionUse = (role: SectionRole, firstSymbol: Int)

    /// The role of a section: one look at its type, then at most a few comparisons chosen by the
    /// name's second byte (objects carry dozens of `.debug_*` and `.rel*` sections; this runs for each).
    static func role(type: SectionType, flags: ELF64.SectionFlags, size: UInt64, name: ByteString) -> SectionRole {
        if type == .rel || type == .rela { return .relocations }
        let role = namedRole(type: type, name: name)
        guard role != .ignored, flags.contains(.execInstr), type == .progbits else { return role }
        return size > 0 ? .program : .ignored
    }

    /// The role a section's type and name give it, before its flags are looked at.
    @inline(__always)
    private static func namedRole(type: SectionType, name: ByteString) -> SectionRole {
        switch type {
        case .null, .symtab, .strtab, .rel, .rela, .llvmAddrsig, .symtabShndx, .group, .note: return .ignored
        default: break
        }
        let bytes = name.utf8
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: ".") else {
            if name.matches("license") || name.matches("version") { return .ignored }
            if name.matches("maps") || name.starts(with: "maps/") { return .legacyMaps }
            return structOpsSection(name) != nil ? .structOps : .other
        }
        switch bytes[1] {
        case UInt8(ascii: "d"):
            if name.starts(with: ".debug") { return .ignored }
            return name.matches(".data") || name.starts(with: ".data.") ? .data : .other
        case UInt8(ascii: "B"): return name.matches(".BTF") || name.matches(".BTF.ext") ? .ignored : .other
        case UInt8(ascii: "l"): return name.starts(with: ".llvm") ? .ignored : .other
        case UInt8(ascii: "n"): return name.starts(with: ".note") ? .ignored : .other
        case UInt8(ascii: "c"): return name.matches(".comment") ? .ignored : .other
        case UInt8(ascii: "e"): return name.matches(".eh_frame") ? .ignored : .other
        case UInt8(ascii: "m"): return name.matches(".maps") ? .btfMaps : name.matches(".metadata") ? .data : .other
        case UInt8(ascii: "r"): return name.matches(".rodata") || name.starts(with: ".rodata.") ? .data : .other
        case UInt8(ascii: "b"): return name.matches(".bss") || name.starts(with: ".bss.") ? .data : .other
        case UInt8(ascii: "s"): return structOpsSection(name) != nil ? .structOps : .other
        default: return .other
        }
    }

    private mutating func readSections(
        _ sections: UnsafeBufferPointer<Section>, _ symbols: SymbolTable,
        roles: UnsafeMutableBufferPointer<SectionUse>
    ) throws(ObjectError) {
        var programCount = 0, legacyMapSections = 0, structOpsSections = 0
        var mapsSection: Section?
        // Sections a DATASEC may describe (data, maps, custom sections, `license`, `version`), by name.
        var placeable: [(key: ByteString, value: UInt32)] = []
        if !dataSections.entries.isEmpty { placeable.reserveCapacity(sections.count) }
        for index in sections.indices {  // elements read in place: a Section is 112 bytes
            let role = roles[index].role
            if role == .relocations { continue }
            programCount += role == .program ? 1 : 0
            if !dataSections.entries.isEmpty, role != .program,
                role != .ignored || !sections[index].name.starts(with: ".")
            {
                placeable.append((sections[index].name, UInt32(index)))
            }
            switch role {
            case .btfMaps: mapsSection = sections[index]
            case .legacyMaps: legacyMapSections += 1
            case .structOps: structOpsSections += 1
            case .data where sections[index].type == .progbits || sections[index].type == .nobits:
                guard sections[index].size <= UInt64(UInt32.max) else {
                    throw .invalidMap(
                        name: String(sections[index].name), section: String(sections[index].name),
                        reason: .dataTooLarge(bytes: sections[index].size))
                }
                if sections[index].size > 0 { maps.append(dataMap(sections[index])) }
            case .data, .other:
                if sections[index].flags.contains(.alloc) || sections[index].type == .progbits {
                    unknownSections.append(String(sections[index].name))
                }
            default: break
            }
        }
        if !dataSections.entries.isEmpty {
            let byName = FirstByName(placeable)
            dataSectionPlacements.reserveCapacity(dataSections.entries.count)
            for (name, id) in dataSections.entries {
                guard let index = byName[name] else { continue }
                dataSectionPlacements.append((id, Int(index), sections[Int(index)].size))
            }
        }
        if legacyMapSections > 0 {
            try readLegacyMaps(
                sections.indices.compactMap { roles[$0].role == .legacyMaps ? sections[$0] : nil }, symbols)
        }
        if let mapsSection { try readBTFMaps(mapsSection, symbols) }
        try readKconfigExterns(symbols)
        try readKsymExterns(symbols)
        externIndex = ExternIndex(kconfig: kconfigExterns, ksym: ksymExterns)
        for index in sections.indices where roles[index].role == .program { roles[index].firstSymbol = -1 }
        for placement in dataSectionPlacements { roles[placement.section].firstSymbol = -3 }
        // The function symbols (at most every symbol) are gathered in a temporary table.
        try withUnsafeTemporaryAllocation(of: Symbol.self, capacity: symbols.count) { (functions) throws(ObjectError) in
            try readPrograms(sections, symbols, roles: roles, programCount: programCount, functionTable: functions)
        }
        try readReferences(sections, symbols)
        try checkPseudoSources()
        if let mapsSection { try readMapSlots(mapsSection, symbols, sections: sections) }
        // One section of each struct_ops name (its DATASEC is found by name): a second would declare its maps again.
        var structOpsNames: Set<String> = []
        for index in sections.indices where structOpsSections > 0 && roles[index].role == .structOps {
            guard structOpsNames.insert(String(sections[index].name)).inserted else {
                throw .invalidMap(
                    name: "*", section: String(sections[index].name), reason: .secondSection(index: index))
            }
            try readStructOps(sections[index], symbols, sections: sections)
        }
    }

    /// Function symbols of program sections, gathered in one pass over the symbol table into
    /// `functionTable`, then put in section order; and the first named symbol at offset 0 of each
    /// (old compilers' programs). `roles[i].firstSymbol` is -2 for sections that hold no program,
    /// -1 for program sections until a symbol is found, -3 for sections a DATASEC describes (their
    /// named symbols place its variables). Then each program section is cut into programs.
    private mutating func readPrograms(
        _ sections: UnsafeBufferPointer<Section>, _ symbols: SymbolTable,
        roles: UnsafeMutableBufferPointer<SectionUse>, programCount: Int,
        functionTable: UnsafeMutableBufferPointer<Symbol>
    ) throws(ObjectError) {
        var functionCount = 0
        var placed: [(key: SectionSymbol, value: UInt32)] = []
        if !dataSectionPlacements.isEmpty { placed.reserveCapacity(symbols.count) }  // at most one a symbol
        for index in symbols.indices {
            let symbol = symbols[index]
            guard let section = symbol.section.sectionIndex, section < sections.count, roles[section].firstSymbol != -2
            else {
                continue
            }
            if roles[section].firstSymbol == -3 {
                if !symbol.name.isEmpty {
                    placed.append(
                        (SectionSymbol(section: section, name: symbol.name), UInt32(truncatingIfNeeded: symbol.value)))
                }
                continue
            }
            if symbol.type == .function {
                (functionTable.baseAddress.unsafelyUnwrapped + functionCount).initialize(to: symbol)
                functionCount += 1
            }
            if symbol.value == 0, symbol.type != .section, !symbol.name.isEmpty, roles[section].firstSymbol == -1 {
                roles[section].firstSymbol = index
            }
        }
        var functions = UnsafeMutableBufferPointer(rebasing: functionTable[..<functionCount])
        functions.sort { ($0.section.sectionIndex ?? 0, $0.value) < ($1.section.sectionIndex ?? 0, $1.value) }
        dataSymbolOffsets = FirstByName(placed)
        programs.reserveCapacity(functions.count + programCount)
        var next = functions.startIndex
        // (The arrays taken from the file's BTF.ext in place: no copy of the whole BTFExt.)
        var extSections = ExtSectionsByName(
            functions: file.btfExt?.functionInfo ?? [], lines: file.btfExt?.lineInfo ?? [])
        for index in sections.indices where roles[index].role == .program {
            let section = sections[index]  // copied only for program sections
            let start = next
            while next < functions.endIndex, functions[next].section.sectionIndex == section.index { next += 1 }
            try readPrograms(
                section, functions: UnsafeBufferPointer(rebasing: functions[start..<next]),
                fallback: roles[index].firstSymbol < 0 ? nil : symbols[roles[index].firstSymbol],
                extSections: &extSections)
        }
    }

    /// An internal map holding a global data section, named as libbpf names it.
    private func dataMap(_ section: Section) -> MapSpec {
        let sectionName = String(section.name)
        let readOnly = sectionName == ".rodata" || sectionName.hasPrefix(".rodata.") || sectionName == ".metadata"
        // The original metadata proposal's section: its map name must hold ".rodata" for bpftool to find it.
        let mapName =
            sectionName == ".metadata" ? "metadata.rodata" : Self.internalMapName(object: name, section: sectionName)
        var spec = MapSpec(
            name: mapName, type: .array, keySize: 4,
            valueSize: UInt32(truncatingIfNeeded: section.size), maxEntries: 1,
            flags: MapFlag.mmapable | (readOnly ? MapFlag.readOnlyProgram : 0),
            origin: .data(section: sectionName, readOnly: readOnly), sectionIndex: section.index)
        // .bss has no bytes in the file; the kernel zero-fills array maps, so it needs none either.
        spec.contents = section.type == .nobits ? [] : Array(section.data)
        if let datasec = dataSections[section.name] { spec.valueTypeID = datasec }
        return spec
    }

    /// libbpf's internal map name: up to 8 characters of the object name and the section name
    /// (at least 7 characters reserved for it), 15 at most; a section with a second dot
    /// (`.data.custom`) is named by itself alone; characters other than `[A-Za-z0-9_.]` become `_`.
    public static func internalMapName(object: String, section: String) -> String {
        var object = object, section = section  // withUTF8 reads them in place (a copy only if not contiguous)
        return object.withUTF8 { object in
            section.withUTF8 { section in
                let suffixLength = min(max(section.count, 7), 15)
                let prefixLength =
                    section.dropFirst().contains(UInt8(ascii: ".")) ? 0 : min(15 - suffixLength, object.count)
                // 15 bytes at most: built in place, a small String needs no allocation.
                var name: (UInt64, UInt64) = (0, 0)
                return withUnsafeMutableBytes(of: &name) { out in
                    var count = 0
                    func append(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) {
                        for byte in bytes where count < 15 {
                            switch byte {
                            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                                UInt8(ascii: "0")...UInt8(ascii: "9"),
                                UInt8(ascii: "_"), UInt8(ascii: "."):
                                out[count] = byte
                            default: out[count] = UInt8(ascii: "_")
                            }
                            count += 1
                        }
                    }
                    append(object.prefix(prefixLength))
                    append(section.prefix(suffixLength))
                    return String(repairing: UnsafeRawBufferPointer(rebasing: out[..<count]))
                }
            }
        }
    }
}
