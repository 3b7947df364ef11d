import ELF64

/// One decoded BTF type: a view into the blob. Its own name offset is checked on decode (the name
/// itself is found when asked: chains through pointers and typedefs never look at it); the names of
/// its members, enumerators and parameters when asked (``validateNames()``), else a bad one reads as empty.
public struct BTFType: @unchecked Sendable {
    public let id: TypeID
    public let kind: Kind
    /// The type's name; empty for anonymous types.
    public var name: ByteString { strings.string(at: nameOffset) ?? .empty }
    /// The name's offset in the string section; 0 for anonymous types.
    public let nameOffset: UInt32
    /// The number of trailing entries (members, enumerators, parameters, variables).
    public let vlen: Int
    /// `kind_flag`: bitfield encoding for STRUCT/UNION, union for FWD, signedness for ENUM/ENUM64.
    public let kindFlag: Bool
    /// The third header word: a size for sized kinds, a type id for referring kinds.
    public let sizeOrType: UInt32
    /// The bytes after the 12-byte header.
    let trailing: Record
    let strings: StringSection

    init(id: TypeID, record: Record, strings: StringSection, typeSectionOffset: Int) throws(BTFError) {
        let info = record.u32(4)
        guard let kind = Kind(rawValue: UInt8(truncatingIfNeeded: info >> 24) & 0x1f) else {
            throw BTFError(.unknownKind(UInt8(truncatingIfNeeded: info >> 24) & 0x1f), typeID: id)
        }
        let nameOffset = record.u32(0)
        // The string section ends with NUL (checked on open): an offset inside it starts a whole name.
        guard strings.contains(nameOffset) else {
            throw BTFError(
                .stringOffsetOutOfRange(nameOffset, size: strings.size), offset: typeSectionOffset, typeID: id)
        }
        self.id = id
        self.kind = kind
        self.nameOffset = nameOffset
        vlen = Int(info & 0xffff)
        kindFlag = info >> 31 == 1
        sizeOrType = record.u32(8)
        trailing = Record(UnsafeRawBufferPointer(rebasing: record.bytes[12...]), order: record.order)
        self.strings = strings
    }

    /// Checks every member, enumerator and parameter name offset (decoding alone reads a bad one as empty).
    public func validateNames() throws(BTFError) {
        let stride: Int
        switch kind {
        case .struct, .union, .enum64: stride = 12
        case .enum, .functionProto: stride = 8
        default: return
        }
        for i in 0..<vlen {
            let offset = trailing.u32(i * stride)
            guard strings.contains(offset) else {
                throw BTFError(.stringOffsetOutOfRange(offset, size: strings.size), typeID: id)
            }
        }
    }

    /// The size in bytes, for INT, STRUCT, UNION, ENUM, ENUM64, DATASEC and FLOAT.
    public var size: UInt32 { sizeOrType }

    /// The referenced type, for PTR, TYPEDEF, qualifiers, FUNC, VAR, DECL_TAG, TYPE_TAG, and a FUNC_PROTO's return type.
    public var referencedType: TypeID { sizeOrType }

    /// An INT's encoding, bit offset and width.
    public var intInfo: (encoding: IntEncoding, bitOffset: Int, bits: Int) {
        guard kind == .int else { return ([], 0, 0) }
        let v = trailing.u32(0)
        return (IntEncoding(rawValue: UInt8(truncatingIfNeeded: v >> 24) & 0x0f), Int((v >> 16) & 0xff), Int(v & 0xff))
    }

    /// An ARRAY's element type, index type and element count.
    public var arrayInfo: (element: TypeID, index: TypeID, count: UInt32) {
        guard kind == .array else { return (0, 0, 0) }
        return (trailing.u32(0), trailing.u32(4), trailing.u32(8))
    }

    /// A VAR's linkage word (`BTF_VAR_*`), or a FUNC's (its vlen).
    public var linkage: UInt32 {
        switch kind {
        case .variable: trailing.u32(0)
        case .function: UInt32(vlen)
        default: 0
        }
    }

    /// A DECL_TAG's component index: -1 for the declaration itself, else a member or parameter index.
    public var componentIndex: Int32 { kind == .declTag ? trailing.i32(0) : -1 }

    /// Whether an ENUM/ENUM64 is signed (`kind_flag`).
    public var isSigned: Bool { kindFlag }

    /// A STRUCT's or UNION's members.
    public var members: Entries<Member> { entries(.struct, .union) }
    /// An ENUM's or ENUM64's enumerators.
    public var enumerators: Entries<Enumerator> { entries(.enum, .enum64) }
    /// A FUNC_PROTO's parameters.
    public var parameters: Entries<Parameter> { entries(.functionProto, .functionProto) }
    /// A DATASEC's variables.
    public var variables: Entries<SectionVariable> { entries(.dataSection, .dataSection) }

    private func entries<E: Entry>(_ a: Kind, _ b: Kind) -> Entries<E> {
        Entries(
            trailing: trailing, strings: strings, count: kind == a || kind == b ? vlen : 0, kind: kind,
            kindFlag: kindFlag)
    }
}

/// A record that follows a type's header.
public protocol Entry: Sendable {
    static func stride(for kind: Kind) -> Int
    init(_ record: Record, at offset: Int, strings: StringSection, kind: Kind, kindFlag: Bool)
}

/// The trailing records of a type, decoded on access.
public struct Entries<E: Entry>: RandomAccessCollection, @unchecked Sendable {
    let trailing: Record
    let strings: StringSection
    let count_: Int
    let kind: Kind
    let kindFlag: Bool

    init(trailing: Record, strings: StringSection, count: Int, kind: Kind, kindFlag: Bool) {
        self.trailing = trailing
        self.strings = strings
        count_ = count
        self.kind = kind
        self.kindFlag = kindFlag
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count_ }
    public subscript(i: Int) -> E {
        E(trailing, at: i * E.stride(for: kind), strings: strings, kind: kind, kindFlag: kindFlag)
    }
}

/// A STRUCT/UNION member.
public struct Member: Entry {
    public let name: ByteString
    public let nameOffset: UInt32
    public let type: TypeID
    /// Offset from the start of the aggregate, in bits.
    public let bitOffset: UInt32
    /// Width of a bitfield in bits; 0 when the member is not a bitfield (or when `kind_flag` is clear).
    public let bitfieldSize: UInt32

    public static func stride(for kind: Kind) -> Int { 12 }
    public init(_ r: Record, at o: Int, strings: StringSection, kind: Kind, kindFlag: Bool) {
        nameOffset = r.u32(o)
        name = strings.string(at: nameOffset) ?? .empty
        type = r.u32(o + 4)
        let raw = r.u32(o + 8)
        bitOffset = kindFlag ? raw & 0xff_ffff : raw
        bitfieldSize = kindFlag ? raw >> 24 : 0
    }
}

/// An ENUM or ENUM64 enumerator.
public struct Enumerator: Entry {
    public let name: ByteString
    public let nameOffset: UInt32
    /// The value's bits: 32-bit values are sign-extended when the enum is signed.
    public let value: UInt64

    public static func stride(for kind: Kind) -> Int { kind == .enum ? 8 : 12 }
    public init(_ r: Record, at o: Int, strings: StringSection, kind: Kind, kindFlag: Bool) {
        nameOffset = r.u32(o)
        name = strings.string(at: nameOffset) ?? .empty
        if kind == .enum {
            value = kindFlag ? UInt64(bitPattern: Int64(r.i32(o + 4))) : UInt64(r.u32(o + 4))
        } else {
            value = UInt64(r.u32(o + 8)) << 32 | UInt64(r.u32(o + 4))
        }
    }

    /// The value read as signed.
    public var signedValue: Int64 { Int64(bitPattern: value) }
}

/// A FUNC_PROTO parameter; a last parameter with type 0 and no name marks `...`.
public struct Parameter: Entry {
    public let name: ByteString
    public let nameOffset: UInt32
    public let type: TypeID

    public static func stride(for kind: Kind) -> Int { 8 }
    public init(_ r: Record, at o: Int, strings: StringSection, kind: Kind, kindFlag: Bool) {
        nameOffset = r.u32(o)
        name = strings.string(at: nameOffset) ?? .empty
        type = r.u32(o + 4)
    }
}

/// A DATASEC entry: a VAR (or FUNC, for `.ksyms`) at an offset in the section.
public struct SectionVariable: Entry {
    public let type: TypeID
    public let offset: UInt32
    public let size: UInt32

    public static func stride(for kind: Kind) -> Int { 12 }
    public init(_ r: Record, at o: Int, strings: StringSection, kind: Kind, kindFlag: Bool) {
        type = r.u32(o)
        offset = r.u32(o + 4)
        size = r.u32(o + 8)
    }
}
