import ELF64
import Synchronization

/// A BTF blob, read in place: types are indexed on open and decoded on request.
///
/// Opening checks the header, the sections and every type's extent in one
/// pass that builds the id→offset index; ``type(_:)`` then decodes one type,
/// checking its name offsets. Names are views into the blob. Split BTF (a
/// module's types over vmlinux) continues its base's type ids and string
/// offsets. Thread-safe: the name index is built once, on first use.
public final class BTF: @unchecked Sendable {
    /// The byte order of the blob.
    public let byteOrder: ByteOrder
    /// The base this BTF is split over, if any.
    public let base: BTF?
    /// The first id of this blob's own types: 1, or the base's ``endID``.
    public let firstID: TypeID
    /// One past the last type id: `btf__type_cnt`.
    public let endID: TypeID
    /// The whole blob, header included.
    public let bytes: UnsafeRawBufferPointer
    /// The header's `flags` byte.
    public let flags: UInt8

    let types: UnsafeRawBufferPointer
    /// The type section's words: each of ``offsets`` starts a record the index pass proved whole
    /// (its 12-byte header and its trailing entries), so reads inside one need no check.
    var typeWords: Record { Record(types, order: byteOrder) }
    let strings: StringSection
    let offsets: [UInt32]
    /// How many own types have a nonzero name offset: sizes the name index.
    let namedCount: Int
    private let owner: AnyObject?
    private let names = Mutex<NameIndex?>(nil)
    /// Alignments of the aggregates computed so far (``alignment(of:)``), each computed once.
    let alignments = Mutex<[TypeID: Int]>([:])

    static let headerSize = 24

    /// Reads a raw BTF blob the caller keeps alive for the life of this object.
    public convenience init(unsafeBytes bytes: UnsafeRawBufferPointer, base: BTF? = nil) throws(BTFError) {
        try self.init(bytes: bytes, owner: nil, base: base)
    }

    /// Reads a raw BTF blob held by `storage`, which this object keeps alive.
    public convenience init(_ storage: ByteStorage, base: BTF? = nil) throws(BTFError) {
        try self.init(bytes: storage.bytes, owner: storage, base: base)
    }

    /// Reads the `.BTF` section of an ELF object.
    public convenience init(elf: ELFFile) throws(BTFError) {
        guard let section = elf.section(named: ".BTF") else { throw BTFError(.missingSection(".BTF")) }
        try self.init(section: section, of: elf)
    }

    /// Reads BTF from `section` (an object's `.BTF`, already found) of `elf`.
    public convenience init(section: Section, of elf: ELFFile) throws(BTFError) {
        try self.init(bytes: section.data, owner: elf.storage, base: nil)
    }

    /// Reads a file holding raw BTF (such as `/sys/kernel/btf/vmlinux`) or an ELF object with a `.BTF` section.
    public convenience init(contentsOfFile path: String, base: BTF? = nil) throws(BTFError) {
        let storage: ByteStorage
        do { storage = try ByteStorage(contentsOfFile: path) } catch { throw BTFError(.unreadable(error)) }
        if storage.bytes.starts(with: [0x7f, 0x45, 0x4c, 0x46]) {
            let elf: ELFFile
            do { elf = try ELFFile(storage) } catch { throw BTFError(.elf(error)) }
            guard let section = elf.section(named: ".BTF") else { throw BTFError(.missingSection(".BTF")) }
            try self.init(bytes: section.data, owner: storage, base: base)
        } else {
            try self.init(bytes: storage.bytes, owner: storage, base: base)
        }
    }

    init(bytes: UnsafeRawBufferPointer, owner: AnyObject?, base: BTF?) throws(BTFError) {
        self.bytes = bytes
        self.owner = owner
        self.base = base
        let headerLength: UInt32
        (byteOrder, headerLength) = try Self.prologue(bytes)
        flags = bytes[3]
        let reader = ByteReader(bytes, order: byteOrder)
        guard headerLength >= UInt32(Self.headerSize), let header = reader.record(at: 0, size: Self.headerSize),
            UInt64(headerLength) <= UInt64(bytes.count)
        else {
            throw BTFError(.badHeaderLength(headerLength), offset: 4)
        }
        let typeOffset = UInt64(headerLength) + UInt64(header.u32(8)), typeLength = UInt64(header.u32(12))
        let stringOffset = UInt64(headerLength) + UInt64(header.u32(16)), stringLength = UInt64(header.u32(20))
        guard let types = reader.slice(offset: typeOffset, size: typeLength) else {
            throw BTFError(
                .sectionOutOfBounds(offset: typeOffset, length: typeLength, available: bytes.count), offset: 8)
        }
        guard let own = reader.slice(offset: stringOffset, size: stringLength) else {
            throw BTFError(
                .sectionOutOfBounds(offset: stringOffset, length: stringLength, available: bytes.count), offset: 16)
        }
        // A split blob's strings continue the base's: its first string is the base's last + 1, so it need not start with NUL.
        let startsWell = own.first == 0 || (base != nil && !own.isEmpty)
        guard (own.isEmpty && base != nil) || (startsWell && own.last == 0) else {
            throw BTFError(.malformedStrings, offset: Int(stringOffset))
        }
        if let base, base.base != nil { throw BTFError(.nestedBase) }
        self.types = types
        strings = StringSection(own: own, base: base?.strings.own ?? UnsafeRawBufferPointer(start: nil, count: 0))
        firstID = base?.endID ?? 1
        (offsets, namedCount) = try Self.index(
            types, order: byteOrder, typeSectionOffset: Int(typeOffset), firstID: base?.endID ?? 1)
        let (end, overflow) = firstID.addingReportingOverflow(TypeID(truncatingIfNeeded: offsets.count))
        guard !overflow, offsets.count <= Int(UInt32.max) else {
            throw BTFError(.typeIDOutOfRange(.max, count: offsets.count))
        }
        endID = end
    }

    /// The magic, version and header length shared by `.BTF` and `.BTF.ext`: the byte order and `hdr_len`.
    static func prologue(_ bytes: UnsafeRawBufferPointer) throws(BTFError) -> (ByteOrder, UInt32) {
        guard bytes.count >= 8 else { throw BTFError(.truncated(needed: 8, available: bytes.count), offset: 0) }
        let order: ByteOrder
        switch (bytes[0], bytes[1]) {
        case (0x9f, 0xeb): order = .little
        case (0xeb, 0x9f): order = .big
        default: throw BTFError(.badMagic(UInt16(bytes[0]) | UInt16(bytes[1]) << 8), offset: 0)
        }
        guard bytes[2] == 1 else { throw BTFError(.unsupportedVersion(bytes[2]), offset: 2) }
        return (order, Record(UnsafeRawBufferPointer(rebasing: bytes[4..<8]), order: order).u32(0))
    }

    /// One pass over the type section: the offset of each type, with each type's extent checked.
    private static func index(
        _ types: UnsafeRawBufferPointer, order: ByteOrder, typeSectionOffset: Int, firstID: TypeID
    ) throws(BTFError) -> ([UInt32], named: Int) {
        // Every type takes at least 12 bytes: that bounds the count (the untouched tail of the buffer costs no memory).
        var failure: (at: Int, count: Int, needed: Int?, info: UInt32)?
        var named = 0
        let offsets = [UInt32](unsafeUninitializedCapacity: types.count / 12 + 1) { buffer, count in
            let outcome =
                order == .host
                ? indexTypes(types, into: buffer, HostOrder.self)
                : indexTypes(types, into: buffer, SwappedOrder.self)
            count = outcome.count
            named = outcome.named
            if let stop = outcome.stop { failure = (stop.at, outcome.count, stop.needed, stop.info) }
        }
        if let failure {
            let id = firstID &+ TypeID(truncatingIfNeeded: failure.count)
            let offset = typeSectionOffset + failure.at
            if let needed = failure.needed {
                throw BTFError(
                    .typePastEnd(needed: needed, available: types.count - failure.at), offset: offset, typeID: id)
            }
            throw BTFError(
                .unknownKind(UInt8(truncatingIfNeeded: failure.info >> 24) & 0x1f), offset: offset, typeID: id)
        }
        return (offsets, named)
    }

    /// The hot loop of ``index``, specialized per byte order so that it carries no branch on it.
    /// Returns how many types it indexed and how many of them are named and, if it stopped early,
    /// where and why (bytes needed, or an unknown kind).
    @inline(__always)
    private static func indexTypes<Order: WordOrder>(
        _ types: UnsafeRawBufferPointer, into buffer: UnsafeMutableBufferPointer<UInt32>,
        _: Order.Type
    ) -> (count: Int, named: Int, stop: (at: Int, needed: Int?, info: UInt32)?) {
        guard types.baseAddress != nil, let out = buffer.baseAddress else { return (0, 0, nil) }
        // Each word is read only after `length - at` was checked to hold it.
        let words = Record(types, order: .host)  // read in Order's byte order
        let length = types.count
        var at = 0, count = 0, named = 0
        while at < length {
            guard length &- at >= 12 else { return (count, named, (at, 12, 0)) }
            let info = words.u32(at &+ 4, Order.self)
            guard let size = Kind.recordSize(info: info) else { return (count, named, (at, nil, info)) }
            guard length &- at >= size else { return (count, named, (at, size, info)) }
            out[count] = UInt32(truncatingIfNeeded: at)
            named &+= words.u32(at, Order.self) == 0 ? 0 : 1
            count &+= 1
            at &+= size
        }
        return (count, named, nil)
    }

    /// The own types of `kind` with their names, found by scanning type headers (no name index):
    /// cheap for rare kinds such as DATASEC.
    public func types(ofKind kind: Kind) -> [(id: TypeID, name: ByteString)] {
        var found: [(id: TypeID, name: ByteString)] = []
        found.reserveCapacity(4)
        forEachType(ofKind: kind) { found.append(($0, $1)) }
        return found
    }

    /// Calls `body` with the id and name of each own type of `kind`, in id order, found by
    /// scanning type headers (no name index, no array).
    public func forEachType(ofKind kind: Kind, _ body: (TypeID, ByteString) -> Void) {
        let words = typeWords
        for (index, offset) in offsets.enumerated() {
            guard UInt8(truncatingIfNeeded: words.u32(Int(offset) + 4) >> 24) & 0x1f == kind.rawValue else { continue }
            body(firstID + TypeID(index), strings.string(at: words.u32(Int(offset))) ?? .empty)
        }
    }

    /// Whether an own type of `kind` is named `name`, found by scanning type headers and comparing
    /// names in place: for a few lookups in a large blob, far cheaper than making the name index.
    public func containsType(named name: String, kind: Kind) -> Bool {
        var name = name
        return name.withUTF8 { utf8 in
            let wanted = ByteString(utf8), words = typeWords
            return offsets.contains {
                UInt8(truncatingIfNeeded: words.u32(Int($0) + 4) >> 24) & 0x1f == kind.rawValue
                    && strings.hasString(wanted, at: words.u32(Int($0)))
            }
        }
    }

    /// Whether an own type of `kind` has `vlen` (for a FUNC, its linkage; for an aggregate, its
    /// member count), found by scanning type headers alone.
    public func containsType(ofKind kind: Kind, vlen: UInt16) -> Bool {
        let wanted = UInt32(kind.rawValue) << 24 | UInt32(vlen), words = typeWords
        return offsets.contains { words.u32(Int($0) + 4) & 0x1f00_ffff == wanted }
    }

    /// The number of this blob's own types (void and base types excluded).
    public var ownTypeCount: Int { offsets.count }

    /// Where own type `id`'s record starts in ``bytes`` (its name offset, then info, then size or type).
    public func recordOffset(of id: TypeID) -> Int? {
        guard id >= firstID, Int(id - firstID) < offsets.count, let start = bytes.baseAddress,
            let typeStart = types.baseAddress
        else { return nil }
        return (typeStart - start) + Int(offsets[Int(id - firstID)])
    }

    /// The type with `id`, decoded, its names checked. Id 0 (`void`) is not a type.
    public func type(_ id: TypeID) throws(BTFError) -> BTFType {
        if id < firstID {
            guard id > 0, let base else { throw BTFError(.typeIDOutOfRange(id, count: Int(endID))) }
            return try base.type(id)
        }
        let index = Int(id - firstID)
        guard index < offsets.count else { throw BTFError(.typeIDOutOfRange(id, count: Int(endID)), typeID: id) }
        let at = Int(offsets[index])
        let end = index + 1 < offsets.count ? Int(offsets[index + 1]) : types.count
        let record = Record(UnsafeRawBufferPointer(rebasing: types[at..<end]), order: byteOrder)
        return try BTFType(id: id, record: record, strings: strings, typeSectionOffset: at)
    }

    /// A type's kind and third word (its size or the type it refers to), read without decoding its
    /// name: what chains through typedefs and qualifiers need, at a fraction of ``type(_:)``'s cost.
    package func header(_ id: TypeID) throws(BTFError) -> (kind: Kind, sizeOrType: UInt32) {
        if id < firstID { return try base(holding: id).header(id) }
        let (at, kind, _) = try ownRecord(id)
        return (kind, typeWords.u32(at + 8))
    }

    /// A type's kind, name and linkage (a VAR's `BTF_VAR_*`, a FUNC's vlen; 0 for other kinds),
    /// read from its record in place: what walks over every declaration need, without decoding
    /// types. The name offset is checked as ``type(_:)`` checks it.
    package func declaration(_ id: TypeID) throws(BTFError) -> (kind: Kind, name: ByteString, linkage: UInt32) {
        if id < firstID { return try base(holding: id).declaration(id) }
        let (at, kind, info) = try ownRecord(id)
        let words = typeWords, nameOffset = words.u32(at)
        guard strings.contains(nameOffset) else {
            throw BTFError(.stringOffsetOutOfRange(nameOffset, size: strings.size), offset: at, typeID: id)
        }
        // A VAR's linkage word follows its header inside the record the index pass proved whole.
        let linkage: UInt32 =
            switch kind {
            case .variable: words.u32(at + 12)
            case .function: info & 0xffff
            default: 0
            }
        return (kind, strings.string(at: nameOffset) ?? .empty, linkage)
    }

    /// The base holding type `id` (below ``firstID``); void and an id with no base are out of range.
    private func base(holding id: TypeID) throws(BTFError) -> BTF {
        guard id > 0, let base else { throw BTFError(.typeIDOutOfRange(id, count: Int(endID))) }
        return base
    }

    /// Own type `id`'s record offset (a record the index pass proved whole), kind and info word.
    /// Inlined: the header walks (``resolve(_:)``, ``pointerTarget(of:)``…) call it per step.
    @inline(__always)
    private func ownRecord(_ id: TypeID) throws(BTFError) -> (at: Int, kind: Kind, info: UInt32) {
        let index = Int(id - firstID)
        guard index < offsets.count else { throw BTFError(.typeIDOutOfRange(id, count: Int(endID)), typeID: id) }
        let at = Int(offsets[index])
        let info = typeWords.u32(at + 4)
        guard let kind = Kind(rawValue: UInt8(truncatingIfNeeded: info >> 24) & 0x1f) else {
            throw BTFError(.unknownKind(UInt8(truncatingIfNeeded: info >> 24) & 0x1f), typeID: id)
        }
        return (at, kind, info)
    }

    /// A type's name, read from its record without decoding the type (empty for anonymous types
    /// and for a name offset outside the string section).
    public func name(of id: TypeID) throws(BTFError) -> ByteString {
        if id < firstID {
            guard id > 0, let base else { throw BTFError(.typeIDOutOfRange(id, count: Int(endID))) }
            return try base.name(of: id)
        }
        let index = Int(id - firstID)
        guard index < offsets.count else { throw BTFError(.typeIDOutOfRange(id, count: Int(endID)), typeID: id) }
        return strings.string(at: typeWords.u32(Int(offsets[index]))) ?? .empty
    }

    /// An ARRAY's element count, typedefs and qualifiers followed; `nil` when `id` is no array.
    /// Read from the record in place (the index pass checked each record whole).
    public func arrayCount(of id: TypeID) throws(BTFError) -> UInt32? {
        guard let resolved = try resolvedHeader(id), resolved.kind == .array else { return nil }
        guard resolved.id >= firstID else { return try base?.arrayCount(of: resolved.id) }
        // `struct btf_array` follows the 12-byte header: element type, index type, element count.
        return typeWords.u32(Int(offsets[Int(resolved.id - firstID)]) + 20)
    }

    /// The size of the string offset space (the base's strings and the own ones, for split BTF).
    public var stringSectionSize: Int { strings.size }

    /// The string at `offset` in the string section (base strings first for split BTF).
    public func string(at offset: UInt32) throws(BTFError) -> ByteString {
        guard let s = strings.string(at: offset) else {
            guard strings.contains(offset) else { throw BTFError(.stringOffsetOutOfRange(offset, size: strings.size)) }
            throw BTFError(.stringTooLong(offset, limit: ByteString.maximumLength))
        }
        return s
    }

    /// The name index, built on first use and shared by all threads.
    public var nameIndex: NameIndex { nameIndex(concurrently: nil) }

    /// The name index, built now (with `concurrently`'s second thread for a large blob) unless it exists.
    @discardableResult
    package func nameIndex(concurrently: NameIndex.Pair?) -> NameIndex {
        names.withLock { cached in
            if let cached { return cached }
            let built = NameIndex(self, concurrently: concurrently)
            cached = built
            return built
        }
    }
}
