import ELF64

/// Type ids by name: an open-addressing hash table over a BTF blob's own
/// named types, built in one pass and compared in place (no string copies).
public struct NameIndex: @unchecked Sendable {
    /// Each slot: hash in the high 32 bits, type id in the low 32; 0 is empty.
    private let slots: [UInt64]
    private let mask: Int
    private let types: UnsafeRawBufferPointer
    private let offsets: [UInt32]
    private let strings: StringSection
    private let order: ByteOrder
    private let firstID: TypeID

    init(_ btf: BTF) {
        types = btf.types
        offsets = btf.offsets
        strings = btf.strings
        order = btf.byteOrder
        firstID = btf.firstID
        var capacity = 16
        while capacity < offsets.count * 2 { capacity <<= 1 }
        mask = capacity - 1
        var slots = [UInt64](repeating: 0, count: capacity)
        let typesBase = types.baseAddress
        for (index, offset) in offsets.enumerated() {
            let rawName = typesBase.unsafelyUnwrapped.loadUnaligned(fromByteOffset: Int(offset), as: UInt32.self)
            let nameOffset = order == .little ? UInt32(littleEndian: rawName) : UInt32(bigEndian: rawName)
            guard nameOffset != 0, let name = strings.string(at: nameOffset), !name.isEmpty else { continue }
            let hash = Self.hash(name.utf8)
            var slot = Int(hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt64(hash) << 32 | UInt64(firstID + TypeID(index))
        }
        self.slots = slots
    }

    /// FNV-1a, 32 bits: cheap, and good enough for identifier-like names.
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for b in bytes { h = (h ^ UInt32(b)) &* 16_777_619 }
        return h | 1  // never 0, so a slot holding id and hash is never mistaken for empty
    }

    private func nameAndKind(of id: TypeID) -> (ByteString, Kind?) {
        let offset = Int(offsets[Int(id - firstID)])
        let record = Record(UnsafeRawBufferPointer(rebasing: types[offset..<offset + 12]), order: order)
        let kind = Kind(rawValue: UInt8(truncatingIfNeeded: record.u32(4) >> 24) & 0x1f)
        return (strings.string(at: record.u32(0)) ?? .empty, kind)
    }

    /// Calls `body` with each own type id named `name` (of `kind`, when given), until it returns false.
    func forEach(named name: UnsafeBufferPointer<UInt8>, kind: Kind?, _ body: (TypeID) -> Bool) {
        let hash = Self.hash(name)
        let wanted = ByteString(name)
        var slot = Int(hash) & mask
        while slots[slot] != 0 {
            let entry = slots[slot]
            if UInt32(entry >> 32) == hash {
                let id = TypeID(truncatingIfNeeded: entry)
                let (candidate, candidateKind) = nameAndKind(of: id)
                if candidate == wanted, kind == nil || kind == candidateKind, !body(id) { return }
            }
            slot = (slot + 1) & mask
        }
    }
}

extension BTF {
    /// Ids of every type named `name` (optionally only of `kind`), in id order, base types first.
    public func typeIDs(named name: String, kind: Kind? = nil) -> [TypeID] {
        var ids = base?.typeIDs(named: name, kind: kind) ?? []
        let baseCount = ids.count
        var name = name
        name.withUTF8 { utf8 in nameIndex.forEach(named: utf8, kind: kind) { ids.append($0); return true } }
        ids[baseCount...].sort()
        return ids
    }

    /// The lowest id of a type named `name` (optionally of `kind`), without allocating.
    public func firstTypeID(named name: String, kind: Kind? = nil) -> TypeID? {
        if let found = base?.firstTypeID(named: name, kind: kind) { return found }
        var best: TypeID?
        var name = name
        name.withUTF8 { utf8 in
            nameIndex.forEach(named: utf8, kind: kind) { id in
                if best.map({ id < $0 }) ?? true { best = id }
                return true
            }
        }
        return best
    }
}
