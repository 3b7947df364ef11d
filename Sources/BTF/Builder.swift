import ELF64

/// One type in wire form, with names as strings: what ``BTFBuilder`` writes.
///
/// `trailing` holds the 32-bit words after the header; words that are string
/// offsets in the wire format (member, enumerator and parameter names) are
/// `.name`. Edit a record freely (e.g. to sanitize kinds a kernel lacks).
public struct TypeRecord: Hashable, Sendable {
    public enum Word: Hashable, Sendable {
        case value(UInt32)
        case name(String)
    }

    public var kind: Kind
    public var name: String
    public var vlen: UInt16
    public var kindFlag: Bool
    public var sizeOrType: UInt32
    public var trailing: [Word]

    public init(
        kind: Kind, name: String = "", vlen: UInt16 = 0, kindFlag: Bool = false, sizeOrType: UInt32,
        trailing: [Word] = []
    ) {
        self.kind = kind
        self.name = name
        self.vlen = vlen
        self.kindFlag = kindFlag
        self.sizeOrType = sizeOrType
        self.trailing = trailing
    }

    /// The wire form of a decoded type.
    public init(_ t: BTFType) {
        var names = NameInterning(limit: .max)
        self.init(t, names: &names)
    }

    /// The wire form of a decoded type, its names shared with earlier types' through `names`.
    init(_ t: BTFType, names: inout NameInterning) {
        kind = t.kind
        name = names.string(at: t.nameOffset, in: t.strings)
        vlen = UInt16(t.vlen)
        kindFlag = t.kindFlag
        sizeOrType = t.sizeOrType
        let words = t.trailing.bytes.count / 4
        let stride: Int
        switch t.kind {
        case .struct, .union, .enum64: stride = 3
        case .enum, .functionProto: stride = 2
        default: stride = 0
        }
        trailing = (0..<words).map { i in
            stride != 0 && i % stride == 0
                ? .name(names.string(at: t.trailing.u32(i * 4), in: t.strings)) : .value(t.trailing.u32(i * 4))
        }
    }

    /// Rewrites every type id the record refers to (the header's, members', parameters', an
    /// array's element and index, a DATASEC's variables), in libbpf's visiting order.
    public mutating func remapReferences<E: Error>(_ transform: (TypeID) throws(E) -> TypeID) throws(E) {
        if kind.hasTypeReference { sizeOrType = try transform(sizeOrType) }
        let (first, stride, count): (Int, Int, Int)
        switch kind {
        case .struct, .union: (first, stride, count) = (1, 3, trailing.count / 3)
        case .dataSection: (first, stride, count) = (0, 3, trailing.count / 3)
        case .functionProto: (first, stride, count) = (1, 2, trailing.count / 2)
        case .array: (first, stride, count) = (0, 1, min(trailing.count, 2))
        default: return
        }
        for index in 0..<count {
            let slot = first + stride * index
            guard case let .value(id) = trailing[slot] else { continue }
            trailing[slot] = .value(try transform(id))
        }
    }

    /// `BTF_KIND_INT`.
    public static func int(_ name: String, size: UInt32, encoding: IntEncoding = [], bits: UInt8? = nil) -> TypeRecord {
        TypeRecord(
            kind: .int, name: name, sizeOrType: size,
            trailing: [.value(UInt32(encoding.rawValue) << 24 | UInt32(bits ?? UInt8(truncatingIfNeeded: size * 8)))])
    }

    /// `BTF_KIND_PTR`.
    public static func pointer(to type: TypeID) -> TypeRecord {
        TypeRecord(kind: .pointer, sizeOrType: type)
    }

    /// `BTF_KIND_STRUCT` / `BTF_KIND_UNION` with byte-aligned members (name, type, bit offset).
    public static func aggregate(
        _ kind: Kind, _ name: String, size: UInt32, members: [(String, TypeID, UInt32)]
    ) -> TypeRecord {
        TypeRecord(
            kind: kind, name: name, vlen: UInt16(members.count), sizeOrType: size,
            trailing: members.flatMap { [.name($0.0), .value($0.1), .value($0.2)] })
    }
}

/// Builds BTF from type records and marshals it to bytes in either byte order.
public struct BTFBuilder: Sendable {
    /// The types, in id order: `types[0]` gets id 1.
    public var types: [TypeRecord]
    /// A string section to keep as written: offsets into it stay valid (line info refers to them).
    public var preservedStrings: [UInt8]

    public init(types: [TypeRecord] = []) {
        self.types = types
        preservedStrings = [0]
    }

    /// Every own type of `btf`, in wire form. Names are Strings, one per distinct string offset:
    /// their bytes together may be at most 64 times the blob's size and 64 KiB (types naming suffixes
    /// of one long string would otherwise cost types × length), past which this is `outputTooLarge`.
    public init(decoding btf: BTF) throws(BTFError) {
        var types: [TypeRecord] = []
        types.reserveCapacity(btf.ownTypeCount)
        var names = NameInterning(limit: 64 * btf.bytes.count + (1 << 16))
        var id = btf.firstID
        while id < btf.endID {
            types.append(TypeRecord(try btf.type(id), names: &names))
            guard names.bytes <= names.limit else { throw BTFError(.outputTooLarge(limit: names.limit), typeID: id) }
            id += 1
        }
        self.types = types
        preservedStrings = btf.strings.own.isEmpty ? [0] : Array(btf.strings.own)
    }

    /// Appends a type and returns its id.
    @discardableResult
    public mutating func add(_ type: TypeRecord) -> TypeID {
        types.append(type)
        return TypeID(types.count)
    }

    /// The BTF blob: header, types, then the preserved strings followed by any new names.
    public func encode(byteOrder: ByteOrder = .host) -> [UInt8] {
        var strings = preservedStrings
        var offsets: [String: UInt32] = ["": 0]
        var start = 0
        for (i, byte) in preservedStrings.enumerated() where byte == 0 {
            let s = String(decoding: preservedStrings[start..<i], as: UTF8.self)
            if offsets[s] == nil { offsets[s] = UInt32(start) }
            start = i + 1
        }
        // A long name shared by many references (decoded names are interned) is hashed once: later
        // uses are found by their storage, so that N references to an L-byte name cost N + L, not N × L.
        var byStorage: [NameInterning.Storage: UInt32] = [:]
        func offset(of s: String) -> UInt32 {
            let storage = NameInterning.Storage(s)
            if let storage, let known = byStorage[storage] { return known }
            let at: UInt32
            if let known = offsets[s] {
                at = known
            } else {
                at = UInt32(strings.count)
                strings += s.utf8
                strings.append(0)
                offsets[s] = at
            }
            if let storage { byStorage[storage] = at }
            return at
        }
        var body = IntegerWriter(order: byteOrder)
        for t in types {
            body.put(offset(of: t.name))
            body.put(UInt32(t.kindFlag ? 1 : 0) << 31 | UInt32(t.kind.rawValue) << 24 | UInt32(t.vlen))
            body.put(t.sizeOrType)
            for word in t.trailing {
                switch word {
                case let .value(v): body.put(v)
                case let .name(s): body.put(offset(of: s))
                }
            }
        }
        var out = IntegerWriter(order: byteOrder)
        out.bytes = byteOrder == .little ? [0x9f, 0xeb, 1, 0] : [0xeb, 0x9f, 1, 0]
        out.put(UInt32(BTF.headerSize))
        out.put(UInt32(0))
        out.put(UInt32(body.bytes.count))
        out.put(UInt32(body.bytes.count))
        out.put(UInt32(strings.count))
        return out.bytes + body.bytes + strings
    }
}

/// One `String` per distinct string offset of a decoded BTF, shared by every type and member that
/// names it: a hostile blob giving thousands of members one long name costs that name once.
struct NameInterning {
    private var strings: [UInt32: String] = [:]
    /// The bytes of the names made so far, and how many the caller allows (checked by the caller per type).
    private(set) var bytes = 0
    let limit: Int

    init(limit: Int) { self.limit = limit }

    mutating func string(at offset: UInt32, in table: StringSection) -> String {
        if let known = strings[offset] { return known }
        // Past the limit, names read as empty: the caller stops at the end of this type.
        guard bytes <= limit else { return "" }
        let found = table.string(at: offset) ?? .empty
        bytes += found.count
        let string = bytes <= limit ? String(found) : ""
        strings[offset] = string
        return string
    }

    /// Where a long string's bytes are stored: equal for copies of one `String`, which share them.
    struct Storage: Hashable {
        let address: UInt
        let count: Int

        init?(_ string: String) {
            guard string.utf8.count > 15 else { return nil }  // small strings live inline, and hash cheaply
            guard
                let found = string.utf8.withContiguousStorageIfAvailable({
                    (UInt(bitPattern: $0.baseAddress), $0.count)
                })
            else { return nil }
            (address, count) = found
        }
    }
}
