/// One section: its header fields and a view of its bytes.
public struct Section: @unchecked Sendable {
    /// The section's index in the section header table.
    public let index: Int
    public let name: ByteString
    public let type: SectionType
    public let flags: SectionFlags
    public let address: UInt64
    /// `sh_offset`: where the section's bytes start in the file.
    public let offset: UInt64
    /// `sh_size`: for `SHT_NOBITS` the size in memory, with no bytes in the file.
    public let size: UInt64
    public let link: UInt32
    public let info: UInt32
    public let alignment: UInt64
    public let entrySize: UInt64
    /// The section's bytes, viewed in the file; empty for `SHT_NOBITS` and `SHT_NULL`.
    public let data: UnsafeRawBufferPointer
    /// Where this section's header lies in the file.
    public let headerOffset: Int

    /// Whether the section occupies bytes in the file.
    public var hasFileData: Bool { type != .nobits && type != .null }
    /// Whether the section is a relocation table (`SHT_REL` or `SHT_RELA`).
    public var holdsRelocations: Bool { type == .rel || type == .rela }

    static let headerSize = 64

    /// Checks that the section is a table of whole `size`-byte entries, as `sh_entsize` declares.
    func requireEntries(of size: Int) throws(ELFError) {
        guard entrySize == UInt64(size) else {
            throw ELFError(
                .invalidEntrySize(found: entrySize, expected: size),
                field: "section \(index) (\(name)) sh_entsize", offset: headerOffset + 56)
        }
        guard self.size % UInt64(size) == 0 else {
            throw ELFError(
                .sizeNotMultipleOfEntrySize(size: self.size, entrySize: size),
                field: "section \(index) (\(name)) sh_size", offset: headerOffset + 32)
        }
    }
}

/// The sections of a file, in file order, decoded on access. Like the sections it gives, it
/// views the file's bytes without owning them (no reference count to touch per access).
public struct SectionList: RandomAccessCollection, @unchecked Sendable {
    /// The whole file.
    let bytes: UnsafeRawBufferPointer
    /// The section header table and the section-name table, both checked on open.
    let headers: UnsafeRawBufferPointer
    let names: UnsafeRawBufferPointer
    let order: ByteOrder
    /// `e_shoff`, for each header's file offset.
    let headerTableOffset: Int

    public var startIndex: Int { 0 }
    public var endIndex: Int { headers.count / Section.headerSize }

    public subscript(index: Int) -> Section {
        precondition(index >= 0 && index < endIndex, "section index out of range")
        return order == .host ? section(index, HostOrder.self) : section(index, SwappedOrder.self)
    }

    /// Section `index` (in range), its fields read in the byte order `Order`: no branch on the
    /// order per field.
    @inline(__always)
    private func section<Order: WordOrder>(_ index: Int, _: Order.Type) -> Section {
        // The header table's range was checked against the file on open.
        let header = Record(headers, order: order).record(at: index * Section.headerSize, size: Section.headerSize)
        func u32(_ offset: Int) -> UInt32 { header.u32(offset, Order.self) }
        func u64(_ offset: Int) -> UInt64 { header.u64(offset, Order.self) }
        let type = SectionType(rawValue: u32(4))
        let offset = u64(24), size = u64(32)
        let data =
            type.rawValue != SectionType.nobits.rawValue && type.rawValue != SectionType.null.rawValue
            ? UnsafeRawBufferPointer(start: bytes.baseAddress.unsafelyUnwrapped + Int(offset), count: Int(size))
            : UnsafeRawBufferPointer(start: nil, count: 0)
        let nameOffset = u32(0)
        let name = nameOffset == 0 && names.isEmpty ? .empty : (ByteString(in: names, at: UInt64(nameOffset)) ?? .empty)
        return Section(
            index: index, name: name, type: type, flags: SectionFlags(rawValue: u64(8)),
            address: u64(16), offset: offset, size: size, link: u32(40), info: u32(44),
            alignment: u64(48), entrySize: u64(56), data: data,
            headerOffset: headerTableOffset + index * Section.headerSize)
    }
}
