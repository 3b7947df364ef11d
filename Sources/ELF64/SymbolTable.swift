/// A validated symbol table (`SHT_SYMTAB` or `SHT_DYNSYM`), decoded on access.
///
/// Construction checks the entry size, the linked string table, every
/// symbol's name offset and section index (with `SHN_XINDEX` resolved through
/// `SHT_SYMTAB_SHNDX`); iteration then cannot fail and allocates nothing.
public struct SymbolTable: RandomAccessCollection, @unchecked Sendable {
    /// The symbol table section.
    public let section: Section
    /// The string table holding the symbol names.
    public let strings: Section
    let extendedIndices: UnsafeRawBufferPointer
    let order: ByteOrder

    public var startIndex: Int { 0 }
    public let endIndex: Int

    /// The symbol at `index`, which must be in `indices` (checked in every build: an index read
    /// from a file is proven in range first, e.g. by ``ELFFile/relocations(in:against:)``).
    public subscript(index: Int) -> Symbol {
        precondition(index >= 0 && index < endIndex, "symbol index out of range")
        let r = entry(index)
        let info = r.u8(4)
        let raw = r.u16(6)
        let location: SymbolSection
        switch raw {
        case SpecialSectionIndex.undefined: location = .undefined
        case SpecialSectionIndex.absolute: location = .absolute
        case SpecialSectionIndex.common: location = .common
        case SpecialSectionIndex.extended: location = extendedIndex(index).map { .index(Int($0)) } ?? .reserved(raw)
        case SpecialSectionIndex.loReserve...: location = .reserved(raw)
        default: location = .index(Int(raw))
        }
        return Symbol(
            index: index, nameOffset: r.u32(0), strings: strings.data,
            binding: SymbolBinding(rawValue: info >> 4), type: SymbolType(rawValue: info & 0xf),
            visibility: SymbolVisibility(rawValue: r.u8(5) & 3), section: location,
            value: r.u64(8), size: r.u64(16))
    }

    func entry(_ index: Int) -> Record {
        let at = index * Symbol.entrySize
        return Record(UnsafeRawBufferPointer(rebasing: section.data[at..<at + Symbol.entrySize]), order: order)
    }

    /// The `SHT_SYMTAB_SHNDX` entry of symbol `index`; nil where the table has none (unvalidated tables only).
    func extendedIndex(_ index: Int) -> UInt32? {
        guard index * 4 + 4 <= extendedIndices.count else { return nil }
        return Record(UnsafeRawBufferPointer(rebasing: extendedIndices[index * 4..<index * 4 + 4]), order: order).u32(0)
    }
}

extension ELFFile {
    /// The static symbol table (`.symtab`), or `nil` when the file has none.
    public func symbolTable() throws(ELFError) -> SymbolTable? {
        guard let index = firstSymbolTable else { return nil }  // found on open
        return try symbols(in: sections[index])
    }

    /// The symbol table in `section`, validated.
    public func symbols(in section: Section) throws(ELFError) -> SymbolTable {
        try symbols(in: section, validatingEntries: true)
    }

    /// The symbol table in `section` with only its layout checked (type, entry size, string table),
    /// for listings that show corrupt entries as llvm-readelf does: a name outside the string table
    /// reads as empty (``Symbol/nameOffset`` tells), a section index may lie past the sections.
    public func unvalidatedSymbols(in section: Section) throws(ELFError) -> SymbolTable {
        try symbols(in: section, validatingEntries: false)
    }

    private func symbols(in section: Section, validatingEntries: Bool) throws(ELFError) -> SymbolTable {
        func where_() -> String { "section \(section.index) (\(section.name))" }
        guard section.type == .symtab || section.type == .dynsym else {
            throw ELFError(
                .wrongSectionType(found: section.type.rawValue, expected: SectionType.symtab.rawValue),
                field: "\(where_()) sh_type", offset: section.headerOffset + 4)
        }
        try section.requireEntries(of: Symbol.entrySize)
        let strings = try self.section(
            at: UInt64(section.link), field: "\(where_()) sh_link", offset: section.headerOffset + 40)
        guard strings.type == .strtab else {
            throw ELFError(
                .wrongSectionType(found: strings.type.rawValue, expected: SectionType.strtab.rawValue),
                field: "\(where_()) sh_link → section \(strings.index) sh_type", offset: strings.headerOffset + 4)
        }
        guard strings.data.isEmpty || strings.data[strings.data.count - 1] == 0 else {
            throw ELFError(
                .unterminatedStringTable, field: "section \(strings.index) (\(strings.name))",
                offset: Int(strings.offset))
        }
        let count = Int(section.size) / Symbol.entrySize
        var extended = UnsafeRawBufferPointer(start: nil, count: 0)
        let table = SymbolTable(
            section: section, strings: strings, extendedIndices: extended, order: byteOrder, endIndex: count)
        guard validatingEntries else {
            let extended = (try? extendedIndexTable(for: section, symbolCount: count)) ?? extended
            return SymbolTable(
                section: section, strings: strings, extendedIndices: extended, order: byteOrder, endIndex: count)
        }
        for index in 0..<count {
            let r = table.entry(index)
            let entryOffset = Int(section.offset) + index * Symbol.entrySize
            let nameOffset = r.u32(0)
            guard nameOffset == 0 || UInt64(nameOffset) < UInt64(strings.data.count) else {
                throw ELFError(
                    .stringOffsetOutOfRange(UInt64(nameOffset), tableSize: strings.data.count),
                    field: "symbol \(index) st_name", offset: entryOffset)
            }
            let raw = r.u16(6)
            var sectionIndex = UInt64(raw)
            if raw == SpecialSectionIndex.extended {
                if extended.isEmpty { extended = try extendedIndexTable(for: section, symbolCount: count) }
                sectionIndex = UInt64(
                    Record(UnsafeRawBufferPointer(rebasing: extended[index * 4..<index * 4 + 4]), order: byteOrder).u32(
                        0))
            } else if raw >= SpecialSectionIndex.loReserve || raw == SpecialSectionIndex.undefined {
                continue
            }
            guard sectionIndex < UInt64(header.sectionCount) else {
                throw ELFError(
                    .indexOutOfRange(sectionIndex, count: header.sectionCount),
                    field: "symbol \(index) st_shndx", offset: entryOffset + 6)
            }
        }
        return SymbolTable(
            section: section, strings: strings, extendedIndices: extended, order: byteOrder, endIndex: count)
    }

    /// The `SHT_SYMTAB_SHNDX` section linked to `symbols`, checked to cover every symbol.
    private func extendedIndexTable(for symbols: Section, symbolCount: Int) throws(ELFError) -> UnsafeRawBufferPointer {
        guard let table = sections.first(where: { $0.type == .symtabShndx && Int($0.link) == symbols.index }) else {
            throw ELFError(
                .indexOutOfRange(UInt64(SpecialSectionIndex.extended), count: header.sectionCount),
                field: "st_shndx SHN_XINDEX without a SHT_SYMTAB_SHNDX section for section \(symbols.index)",
                offset: Int(symbols.offset))
        }
        guard table.size >= UInt64(symbolCount) * 4 else {
            throw ELFError(
                .truncated(needed: UInt64(symbolCount) * 4, available: table.data.count),
                field: "section \(table.index) (\(table.name)) SHT_SYMTAB_SHNDX", offset: table.headerOffset + 32)
        }
        return table.data
    }
}
