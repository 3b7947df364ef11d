/// One `Elf64_Rel` or `Elf64_Rela` entry.
public struct Relocation: Hashable, Sendable {
    /// `r_offset`: the byte offset in the target section.
    public let offset: UInt64
    /// The symbol index (`ELF64_R_SYM`), known to be inside the linked symbol table.
    public let symbolIndex: Int
    /// The machine-specific type (`ELF64_R_TYPE`); see ``BPFRelocationType`` for EM_BPF.
    public let type: UInt32
    /// `r_addend`, or 0 for `SHT_REL`.
    public let addend: Int64

    public init(offset: UInt64, symbolIndex: Int, type: UInt32, addend: Int64) {
        self.offset = offset
        self.symbolIndex = symbolIndex
        self.type = type
        self.addend = addend
    }
}

/// Relocation types of `EM_BPF`.
public struct BPFRelocationType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    @inlinable public static var none: BPFRelocationType { BPFRelocationType(rawValue: 0) }
    /// `ld_imm64` of a map or global-data address.
    @inlinable public static var r64_64: BPFRelocationType { BPFRelocationType(rawValue: 1) }
    /// A 64-bit data word (e.g. in `.maps` initial values or DWARF).
    @inlinable public static var abs64: BPFRelocationType { BPFRelocationType(rawValue: 2) }
    /// A 32-bit data word (BTF, BTF.ext, DWARF).
    @inlinable public static var abs32: BPFRelocationType { BPFRelocationType(rawValue: 3) }
    /// A 32-bit data word the runtime dynamic linker ignores.
    @inlinable public static var nodyld32: BPFRelocationType { BPFRelocationType(rawValue: 4) }
    /// A BPF-to-BPF call or callback reference.
    @inlinable public static var r64_32: BPFRelocationType { BPFRelocationType(rawValue: 10) }

    public var description: String {
        switch self {
        case .none: "R_BPF_NONE"
        case .r64_64: "R_BPF_64_64"
        case .abs64: "R_BPF_64_ABS64"
        case .abs32: "R_BPF_64_ABS32"
        case .nodyld32: "R_BPF_64_NODYLD32"
        case .r64_32: "R_BPF_64_32"
        default: "R_BPF_\(rawValue)"
        }
    }
}

/// A validated `SHT_REL` or `SHT_RELA` section, decoded on access.
public struct RelocationTable: RandomAccessCollection, @unchecked Sendable {
    /// The relocation section itself.
    public let section: Section
    /// The section the relocations apply to (`sh_info`).
    public let targetSectionIndex: Int
    /// The symbol table the entries index (`sh_link`).
    public let symbolTableIndex: Int
    /// Whether entries carry an explicit addend (`SHT_RELA`).
    public var hasAddends: Bool { section.type == .rela }
    let order: ByteOrder
    let entrySize: Int

    public var startIndex: Int { 0 }
    public let endIndex: Int

    public subscript(index: Int) -> Relocation {
        let at = index * entrySize
        let r = Record(UnsafeRawBufferPointer(rebasing: section.data[at..<at + entrySize]), order: order)
        let info = r.u64(8)
        return Relocation(
            offset: r.u64(0), symbolIndex: Int(info >> 32), type: UInt32(truncatingIfNeeded: info),
            addend: hasAddends ? r.i64(16) : 0)
    }
}

extension ELFFile {
    /// Every `SHT_REL` and `SHT_RELA` section, in file order.
    public var relocationSections: [Section] {
        sections.filter(\.holdsRelocations)
    }

    /// The relocations in `section`, validated: entry size, linked symbol table, target section and every symbol index.
    public func relocations(in section: Section) throws(ELFError) -> RelocationTable {
        func where_() -> String { "section \(section.index) (\(section.name))" }
        let entrySize: Int
        switch section.type {
        case .rel: entrySize = 16
        case .rela: entrySize = 24
        default:
            throw ELFError(
                .wrongSectionType(found: section.type.rawValue, expected: SectionType.rel.rawValue),
                field: "\(where_()) sh_type", offset: section.headerOffset + 4)
        }
        try section.requireEntries(of: entrySize)
        let target = try self.section(
            at: UInt64(section.info), field: "\(where_()) sh_info", offset: section.headerOffset + 44)
        let symbols = try self.section(
            at: UInt64(section.link), field: "\(where_()) sh_link", offset: section.headerOffset + 40)
        guard symbols.type == .symtab || symbols.type == .dynsym else {
            throw ELFError(
                .wrongSectionType(found: symbols.type.rawValue, expected: SectionType.symtab.rawValue),
                field: "\(where_()) sh_link → section \(symbols.index) sh_type", offset: symbols.headerOffset + 4)
        }
        try symbols.requireEntries(of: Symbol.entrySize)
        let symbolCount = UInt64(symbols.data.count / Symbol.entrySize)
        let table = RelocationTable(
            section: section, targetSectionIndex: target.index, symbolTableIndex: symbols.index,
            order: byteOrder, entrySize: entrySize, endIndex: Int(section.size) / entrySize)
        for index in table.indices {
            let info = Record(
                UnsafeRawBufferPointer(rebasing: section.data[index * entrySize..<(index + 1) * entrySize]),
                order: byteOrder
            ).u64(8)
            guard info >> 32 < symbolCount else {
                throw ELFError(
                    .indexOutOfRange(info >> 32, count: Int(symbolCount)),
                    field: "\(where_()) relocation \(index) r_info symbol",
                    offset: Int(section.offset) + index * entrySize + 8)
            }
        }
        return table
    }

    /// The relocations in `section`, validated as by ``relocations(in:)`` and required to index
    /// `symbols`: every symbol index is then in range of that table (an object may carry a
    /// second `SHT_SYMTAB` or `SHT_DYNSYM` and link a relocation section to it).
    public func relocations(in section: Section, against symbols: SymbolTable) throws(ELFError) -> RelocationTable {
        guard Int(section.link) == symbols.section.index else {
            throw ELFError(
                .unexpectedLink(found: section.link, expected: symbols.section.index),
                field: "section \(section.index) (\(section.name)) sh_link", offset: section.headerOffset + 40)
        }
        return try relocations(in: section)
    }
}
