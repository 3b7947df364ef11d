import ELF64

/// Why BTF or BTF.ext could not be read, and where.
public struct BTFError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        /// The blob ends before a structure it declares.
        case truncated(needed: UInt64, available: Int)
        /// The magic is not 0xeB9F in either byte order.
        case badMagic(UInt16)
        case unsupportedVersion(UInt8)
        /// `hdr_len` is smaller than the header this reader knows, or larger than the blob.
        case badHeaderLength(UInt32)
        /// A section (types, strings, func_info, …) lies outside the blob.
        case sectionOutOfBounds(offset: UInt64, length: UInt64, available: Int)
        /// The string section does not start or does not end with NUL.
        case malformedStrings
        /// A type uses a kind this reader does not know.
        case unknownKind(UInt8)
        /// A type's trailing records run past the type section.
        case typePastEnd(needed: Int, available: Int)
        /// A type id refers past the last type.
        case typeIDOutOfRange(TypeID, count: Int)
        /// A string offset lies outside the string section.
        case stringOffsetOutOfRange(UInt32, size: Int)
        /// A chain of type references loops back on itself or exceeds the depth limit.
        case referenceLoop(TypeID)
        /// The string at this offset runs past `limit` bytes without its NUL (see `ByteString.maximumLength`).
        case stringTooLong(UInt32, limit: Int)
        /// A dump would write more than `limit` bytes (anonymous types shared in a DAG are written where used).
        case outputTooLarge(limit: Int)
        /// The type has the wrong kind for the question asked.
        case unexpectedKind(TypeID, Kind)
        /// A size computation overflowed or a type has no size.
        case invalidSize(TypeID)
        /// A BTF.ext record size is smaller than this reader needs.
        case recordTooSmall(UInt32, minimum: Int)
        /// The ELF object has no `.BTF` (or `.BTF.ext`) section.
        case missingSection(String)
        /// The surrounding ELF file is malformed.
        case elf(ELFError)
        /// The base of split BTF is itself split; only one level is supported.
        case nestedBase
        /// The file could not be read.
        case unreadable(SystemError)
    }

    public let reason: Reason
    /// Byte offset in the BTF (or BTF.ext) blob where the problem lies, when known.
    public let offset: Int?
    /// The type being read, when the problem is inside a type.
    public let typeID: TypeID?

    public init(_ reason: Reason, offset: Int? = nil, typeID: TypeID? = nil) {
        self.reason = reason
        self.offset = offset
        self.typeID = typeID
    }

    public var description: String {
        var place: [String] = []
        if let typeID { place.append("type [\(typeID)]") }
        if let offset { place.append("offset \(offset)") }
        let prefix = place.isEmpty ? "BTF" : "BTF " + place.joined(separator: " at ")
        let why: String
        switch reason {
        case let .truncated(needed, available): why = "needs \(needed) bytes, \(available) available"
        case let .badMagic(m): why = "bad magic 0x\(String(m, radix: 16)) (expected 0xeb9f)"
        case let .unsupportedVersion(v): why = "unsupported version \(v)"
        case let .badHeaderLength(l): why = "bad header length \(l)"
        case let .sectionOutOfBounds(o, l, a): why = "section at \(o) of \(l) bytes exceeds the \(a)-byte blob"
        case .malformedStrings: why = "string section must start and end with NUL"
        case let .unknownKind(k): why = "unknown kind \(k)"
        case let .typePastEnd(n, a): why = "type needs \(n) bytes, \(a) left in the type section"
        case let .typeIDOutOfRange(id, count): why = "type id \(id) out of range (\(count) types)"
        case let .stringOffsetOutOfRange(o, s): why = "string offset \(o) outside the \(s)-byte string section"
        case let .referenceLoop(id): why = "type reference chain through [\(id)] loops or is too deep"
        case let .stringTooLong(offset, limit): why = "the string at offset \(offset) is longer than \(limit) bytes"
        case let .outputTooLarge(limit):
            why = "the dump would pass \(limit) bytes (anonymous types shared along many paths)"
        case let .unexpectedKind(id, k): why = "type [\(id)] is \(k), not the kind expected here"
        case let .invalidSize(id): why = "type [\(id)] has no valid size"
        case let .recordTooSmall(s, m): why = "record size \(s) is smaller than \(m)"
        case let .missingSection(name): why = "object has no \(name) section"
        case let .elf(e): why = "\(e)"
        case let .unreadable(e): why = "\(e)"
        case .nestedBase: why = "the base BTF is itself split BTF; only one level of split BTF is supported"
        }
        return "\(prefix): \(why)"
    }
}
