/// Why an ELF file could not be read, and where.
///
/// Every rejection names the field at fault and the byte offset in the file
/// where that field (or the structure holding it) lives.
public struct ELFError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        /// The file ends before a structure it declares: `needed` bytes at the offset, `available` in the file.
        case truncated(needed: UInt64, available: Int)
        /// The first four bytes are not `\x7fELF`.
        case notELF
        /// `EI_CLASS` is not `ELFCLASS64` (1 is a 32-bit file).
        case unsupportedClass(UInt8)
        /// `EI_DATA` is neither `ELFDATA2LSB` nor `ELFDATA2MSB`.
        case invalidByteOrder(UInt8)
        /// `EI_VERSION` or `e_version` is not 1.
        case unsupportedVersion(UInt32)
        /// An entry size field disagrees with the format.
        case invalidEntrySize(found: UInt64, expected: Int)
        /// A range (offset, size) lies outside the file.
        case outOfBounds(offset: UInt64, size: UInt64, fileSize: Int)
        /// An index refers past the end of the table it indexes.
        case indexOutOfRange(UInt64, count: Int)
        /// A string offset lies outside its string table.
        case stringOffsetOutOfRange(UInt64, tableSize: Int)
        /// A string table does not end with a NUL byte.
        case unterminatedStringTable
        /// A table's size is not a whole number of entries.
        case sizeNotMultipleOfEntrySize(size: UInt64, entrySize: Int)
        /// A linked section has the wrong type.
        case wrongSectionType(found: UInt32, expected: UInt32)
        /// A section links (`sh_link`) to another section than the one its reader uses (a second symbol table).
        case unexpectedLink(found: UInt32, expected: Int)
        /// A `.note.stapsdt` (USDT) note whose description does not hold three addresses and three strings.
        case sdtNote(SDTNoteProblem)
        /// The sections' bytes add up to `total`, more than the file's `fileSize`: sections share bytes.
        case sectionsShareBytes(total: UInt64, fileSize: Int)
    }

    public let reason: Reason
    /// The field or structure at fault, e.g. `"e_shoff"` or `"section 4 (.text) sh_offset"`.
    public let field: String
    /// The byte offset in the file of that field or structure.
    public let offset: Int

    public init(_ reason: Reason, field: String, offset: Int) {
        self.reason = reason
        self.field = field
        self.offset = offset
    }

    public var description: String {
        let why: String
        switch reason {
        case let .truncated(needed, available):
            why = "needs \(needed) bytes but the file has \(available)"
        case .notELF:
            why = "not an ELF file (bad magic)"
        case let .unsupportedClass(c):
            why = c == 1 ? "32-bit ELF (ELFCLASS32) is not supported; BPF objects are ELF64" : "unknown ELF class \(c)"
        case let .invalidByteOrder(d):
            why = "unknown data encoding \(d) (expected 1 for little or 2 for big endian)"
        case let .unsupportedVersion(v):
            why = "unsupported ELF version \(v)"
        case let .invalidEntrySize(found, expected):
            why = "entry size \(found), expected \(expected)"
        case let .outOfBounds(off, size, fileSize):
            why = "range offset \(hex(off)) size \(hex(size)) lies outside the \(fileSize)-byte file"
        case let .indexOutOfRange(index, count):
            why = "index \(index) out of range (count \(count))"
        case let .stringOffsetOutOfRange(off, size):
            why = "string offset \(off) outside the \(size)-byte string table"
        case .unterminatedStringTable:
            why = "string table does not end with NUL"
        case let .sizeNotMultipleOfEntrySize(size, entrySize):
            why = "size \(size) is not a multiple of the entry size \(entrySize)"
        case let .wrongSectionType(found, expected):
            why = "linked section has type \(SectionType(rawValue: found)), expected \(SectionType(rawValue: expected))"
        case let .unexpectedLink(found, expected):
            why = "links section \(found), but the object's symbol table is section \(expected)"
        case let .sdtNote(problem):
            why = "\(problem)"
        case let .sectionsShareBytes(total, fileSize):
            why = "sections share bytes (\(total) in \(fileSize))"
        }
        return "\(field) at file offset \(hex(UInt64(max(offset, 0)))): \(why)"
    }
}

@usableFromInline
func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
