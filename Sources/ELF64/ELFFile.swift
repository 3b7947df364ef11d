/// A validated ELF64 file, read in place.
///
/// Opening checks the header, the section header table, every section's
/// range and name, and the section-name table; accessors then decode
/// lazily without further failure. Symbol and relocation tables are
/// validated when asked for. Nothing is copied: names and section data are
/// views into the input, alive as long as ``storage`` (or, for
/// ``init(unsafeBytes:)``, as long as the caller keeps the bytes).
public struct ELFFile: @unchecked Sendable {
    /// The owner of the bytes, when the file owns them.
    public let storage: ByteStorage?
    /// The whole file.
    public let bytes: UnsafeRawBufferPointer
    public let header: ELFHeader
    /// The section header table, `sectionCount * 64` bytes, known to lie in the file.
    let sectionHeaders: UnsafeRawBufferPointer
    /// The section-name string table (empty when `e_shstrndx` is `SHN_UNDEF`).
    let sectionNames: UnsafeRawBufferPointer
    /// The bytes the sections hold in the file, added up: at most the file's size unless sections
    /// share bytes (``requireSectionsApart()``).
    let sectionBytes: UInt64
    /// The index of the first `SHT_SYMTAB` section, found on open.
    let firstSymbolTable: Int?

    /// Reads the file held by `storage`, which the file keeps alive.
    public init(_ storage: ByteStorage) throws(ELFError) {
        try self.init(storage: storage, bytes: storage.bytes)
    }

    /// Reads bytes the caller owns and keeps alive while the file and its views are used.
    public init(unsafeBytes bytes: UnsafeRawBufferPointer) throws(ELFError) {
        try self.init(storage: nil, bytes: bytes)
    }

    private init(storage: ByteStorage?, bytes: UnsafeRawBufferPointer) throws(ELFError) {
        self.storage = storage
        self.bytes = bytes
        var (header, fields) = try ELFHeader.read(bytes)
        let rawCount = fields.u16(60), rawNameIndex = fields.u16(62)
        let reader = ByteReader(bytes, order: header.byteOrder)

        guard header.sectionHeaderOffset != 0 else {
            header.sectionCount = 0
            header.sectionNameTableIndex = 0
            self.header = header
            sectionHeaders = UnsafeRawBufferPointer(start: nil, count: 0)
            sectionNames = sectionHeaders
            sectionBytes = 0
            firstSymbolTable = nil
            return
        }
        let entrySize = fields.u16(58)
        guard entrySize == UInt16(Section.headerSize) else {
            throw ELFError(
                .invalidEntrySize(found: UInt64(entrySize), expected: Section.headerSize), field: "e_shentsize",
                offset: 58)
        }
        guard header.sectionHeaderOffset >= UInt64(ELFHeader.size) else {
            throw ELFError(
                .outOfBounds(
                    offset: header.sectionHeaderOffset, size: UInt64(Section.headerSize), fileSize: bytes.count),
                field: "e_shoff (overlaps the ELF header)", offset: 40)
        }
        // Section 0 carries the real count and name-table index when they overflow the header's 16-bit fields.
        guard let zero = reader.record(at: header.sectionHeaderOffset, size: Section.headerSize) else {
            let (end, overflow) = header.sectionHeaderOffset.addingReportingOverflow(UInt64(Section.headerSize))
            throw ELFError(
                .truncated(needed: overflow ? .max : end, available: bytes.count), field: "e_shoff", offset: 40)
        }
        var count = UInt64(rawCount)
        if rawCount == 0 { count = zero.u64(32) }
        var nameIndex = UInt64(rawNameIndex)
        if rawNameIndex == SpecialSectionIndex.extended { nameIndex = UInt64(zero.u32(40)) }

        let (tableSize, overflow) = count.multipliedReportingOverflow(by: UInt64(Section.headerSize))
        guard !overflow, let table = reader.slice(offset: header.sectionHeaderOffset, size: tableSize) else {
            throw ELFError(
                .outOfBounds(
                    offset: header.sectionHeaderOffset, size: overflow ? .max : tableSize, fileSize: bytes.count),
                field: rawCount == 0 ? "section 0 sh_size (extended e_shnum)" : "e_shnum",
                offset: rawCount == 0 ? Int(header.sectionHeaderOffset) + 32 : 60)
        }
        guard nameIndex == 0 || nameIndex < count else {
            throw ELFError(
                .indexOutOfRange(nameIndex, count: Int(count)),
                field: rawNameIndex == SpecialSectionIndex.extended
                    ? "section 0 sh_link (extended e_shstrndx)" : "e_shstrndx", offset: 62)
        }
        header.sectionCount = Int(count)
        header.sectionNameTableIndex = Int(nameIndex)
        sectionHeaders = table

        // The section-name table must be a NUL-terminated string table inside the file.
        var names = UnsafeRawBufferPointer(start: nil, count: 0)
        if nameIndex != 0 {
            let at = Int(nameIndex) * Section.headerSize
            let r = Record(
                UnsafeRawBufferPointer(rebasing: table[at..<at + Section.headerSize]), order: header.byteOrder)
            let fileOffset = Int(header.sectionHeaderOffset) + at
            guard r.u32(4) == SectionType.strtab.rawValue else {
                throw ELFError(
                    .wrongSectionType(found: r.u32(4), expected: SectionType.strtab.rawValue),
                    field: "e_shstrndx section \(nameIndex) sh_type", offset: fileOffset + 4)
            }
            guard let slice = reader.slice(offset: r.u64(24), size: r.u64(32)) else {
                throw ELFError(
                    .outOfBounds(offset: r.u64(24), size: r.u64(32), fileSize: bytes.count),
                    field: "section \(nameIndex) (section names) sh_offset/sh_size", offset: fileOffset + 24)
            }
            guard slice.isEmpty || slice[slice.count - 1] == 0 else {
                throw ELFError(
                    .unterminatedStringTable, field: "section \(nameIndex) (section names)", offset: Int(r.u64(24)))
            }
            names = slice
        }
        sectionNames = names
        self.header = header

        (sectionBytes, firstSymbolTable) =
            try header.byteOrder == .host
            ? Self.checkSections(
                table, names: names.count, reader, tableOffset: header.sectionHeaderOffset, HostOrder.self)
            : Self.checkSections(
                table, names: names.count, reader, tableOffset: header.sectionHeaderOffset, SwappedOrder.self)
    }

    /// Checks each section header's name offset and byte range, its fields read in the byte order
    /// `Order`; returns the bytes the sections hold, added up (saturating), and the index of the
    /// first symbol table.
    private static func checkSections<Order: WordOrder>(
        _ table: UnsafeRawBufferPointer, names: Int, _ reader: ByteReader, tableOffset: UInt64, _: Order.Type
    ) throws(ELFError) -> (bytes: UInt64, firstSymbolTable: Int?) {
        var total: UInt64 = 0
        var firstSymbolTable: Int?
        for index in 0..<table.count / Section.headerSize {
            let at = index * Section.headerSize
            // The table's range was checked against the file by the caller.
            let r = Record(table, order: reader.order).record(at: at, size: Section.headerSize)
            let fileOffset = Int(tableOffset) + at
            let nameOffset = r.u32(0, Order.self)
            guard nameOffset == 0 || UInt64(nameOffset) < UInt64(names) else {
                throw ELFError(
                    .stringOffsetOutOfRange(UInt64(nameOffset), tableSize: names),
                    field: "section \(index) sh_name", offset: fileOffset)
            }
            let type = r.u32(4, Order.self)
            if type == SectionType.symtab.rawValue, firstSymbolTable == nil { firstSymbolTable = index }
            if type != SectionType.nobits.rawValue && type != SectionType.null.rawValue {
                let offset = r.u64(24, Order.self), size = r.u64(32, Order.self)
                guard reader.contains(offset: offset, size: size) else {
                    throw ELFError(
                        .outOfBounds(offset: offset, size: size, fileSize: reader.bytes.count),
                        field: "section \(index) sh_offset/sh_size", offset: fileOffset + 24)
                }
                let (sum, overflow) = total.addingReportingOverflow(size)
                total = overflow ? .max : sum
            }
        }
        return (total, firstSymbolTable)
    }

    /// Throws unless the sections' bytes add up to at most the file's size, as they do when no two
    /// sections share bytes (the gABI gives each byte to one section at most): work done once per
    /// section byte then stays linear in the file, however many headers name the same bytes.
    public func requireSectionsApart() throws(ELFError) {
        guard sectionBytes <= UInt64(bytes.count) else {
            throw ELFError(
                .sectionsShareBytes(total: sectionBytes, fileSize: bytes.count), field: "e_shoff",
                offset: Int(header.sectionHeaderOffset))
        }
    }

    public var byteOrder: ByteOrder { header.byteOrder }

    /// All sections in file order, section 0 (`SHT_NULL`) included.
    public var sections: SectionList {
        SectionList(
            bytes: bytes, headers: sectionHeaders, names: sectionNames, order: header.byteOrder,
            headerTableOffset: Int(header.sectionHeaderOffset))
    }

    /// The first section named `name`, if any.
    public func section(named name: String) -> Section? {
        var name = name
        return name.withUTF8 { section(named: ByteString($0)) }
    }

    /// The first section named `name` (a name viewed in another table, such as BTF's).
    public func section(named name: ByteString) -> Section? {
        for index in 0..<header.sectionCount where sectionName(index, is: name.utf8) {
            return sections[index]
        }
        return nil
    }

    /// The section at an index read from the file, or a typed error naming `field` when it is out of range.
    public func section(at index: UInt64, field: @autoclosure () -> String, offset: Int) throws(ELFError) -> Section {
        guard index < UInt64(header.sectionCount) else {
            throw ELFError(.indexOutOfRange(index, count: header.sectionCount), field: field(), offset: offset)
        }
        return sections[Int(index)]
    }

    func headerRecord(_ index: Int) -> Record {
        let at = index * Section.headerSize
        return Record(
            UnsafeRawBufferPointer(rebasing: sectionHeaders[at..<at + Section.headerSize]), order: header.byteOrder)
    }

    /// Whether section `index` is named `wanted`: compared in place, without first finding the name's end.
    func sectionName(_ index: Int, is wanted: UnsafeBufferPointer<UInt8>) -> Bool {
        let offset = Int(headerRecord(index).u32(0))
        guard !wanted.isEmpty else { return sections[index].name.isEmpty }
        guard offset < sectionNames.count, sectionNames.count - offset > wanted.count,
            sectionNames[offset + wanted.count] == 0, let base = sectionNames.baseAddress
        else { return false }
        let name = UnsafeBufferPointer(start: (base + offset).assumingMemoryBound(to: UInt8.self), count: wanted.count)
        return ByteString.samePrefix(name, wanted, count: wanted.count)
    }

    /// The first section of `type`, found from the headers alone.
    public func firstSection(ofType type: SectionType) -> Section? {
        for index in 0..<header.sectionCount where headerRecord(index).u32(4) == type.rawValue {
            return sections[index]
        }
        return nil
    }
}
