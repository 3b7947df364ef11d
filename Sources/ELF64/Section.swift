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

    static let headerSize = 64

    /// Checks that the section is a table of whole `size`-byte entries, as `sh_entsize` declares.
    func requireEntries(of size: Int) throws(ELFError) {
        guard entrySize == UInt64(size) else {
            throw ELFError(.invalidEntrySize(found: entrySize, expected: size),
                           field: "section \(index) (\(name)) sh_entsize", offset: headerOffset + 56)
        }
        guard self.size % UInt64(size) == 0 else {
            throw ELFError(.sizeNotMultipleOfEntrySize(size: self.size, entrySize: size),
                           field: "section \(index) (\(name)) sh_size", offset: headerOffset + 32)
        }
    }
}

/// The sections of a file, in file order, decoded on access.
public struct SectionList: RandomAccessCollection, @unchecked Sendable {
    let file: ELFFile

    public var startIndex: Int { 0 }
    public var endIndex: Int { file.header.sectionCount }

    public subscript(index: Int) -> Section { file.decodeSection(index) }
}
