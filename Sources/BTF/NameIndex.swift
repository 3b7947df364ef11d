import ELF64

/// Type ids by name: an open-addressing hash table over a BTF blob's own
/// named types, built in one pass and compared in place (no string copies).
///
/// Each 32-bit slot holds a type id in its low bits and, above it, a tag
/// taken from the name's hash, so most non-matching probes are rejected
/// without touching the string. The table is sized to the named types
/// (load ≤ 2/3), small enough to stay in cache for vmlinux (512 KiB).
public struct NameIndex: @unchecked Sendable {
    private let slots: [UInt32]
    private let mask: Int
    private let idBits: UInt32
    private let types: UnsafeRawBufferPointer
    private let offsets: [UInt32]
    private let strings: StringSection
    private let order: ByteOrder
    private let firstID: TypeID

    /// Builds the index of `btf`'s own named types (``BTF/nameIndex`` caches one).
    public init(_ btf: BTF) {
        let offsets = btf.offsets, strings = btf.strings, firstID = btf.firstID
        let idBits = UInt32(UInt32.bitWidth - btf.endID.leadingZeroBitCount)
        let swap = btf.byteOrder != .host
        let base = btf.types.baseAddress.unsafelyUnwrapped
        // Pass 1, in type order (sequential over types and, mostly, strings): hash every name.
        let baseCount = UInt32(truncatingIfNeeded: strings.base.count)
        let named = [UInt64](unsafeUninitializedCapacity: offsets.count) { named, count in
          offsets.withUnsafeBufferPointer { offsets in
            for index in 0..<offsets.count {
                let raw = base.loadUnaligned(fromByteOffset: Int(offsets[index]), as: UInt32.self)
                let nameOffset = swap ? raw.byteSwapped : raw
                guard nameOffset != 0 else { continue }
                let table = nameOffset < baseCount ? strings.base : strings.own
                let at = Int(nameOffset < baseCount ? nameOffset : nameOffset &- baseCount)
                guard at < table.count, let start = table.baseAddress else { continue }
                let (hash, length) = NameHash.hashTerminated(start + at, end: start + table.count)
                if length > 0 {
                    named[count] = hash & 0xffff_ffff_0000_0000 | UInt64(firstID &+ TypeID(index))
                    count &+= 1
                }
            }
          }
        }
        // Pass 2: place them in a table with load ≤ 2/3.
        var capacity = 16
        while capacity < named.count + named.count / 2 { capacity <<= 1 }
        let mask = capacity - 1
        var slots = [UInt32](repeating: 0, count: capacity)
        let tagShift = idBits
        slots.withUnsafeMutableBufferPointer { table in
            for entry in named {
                let hash = entry >> 32
                var slot = Int(truncatingIfNeeded: hash) & mask
                while table[slot] != 0 { slot = (slot &+ 1) & mask }
                table[slot] = UInt32(truncatingIfNeeded: entry) | Self.tag(hash, shift: tagShift)
            }
        }
        self.slots = slots
        self.mask = mask
        self.idBits = idBits
        self.types = btf.types
        self.offsets = offsets
        self.strings = strings
        self.order = btf.byteOrder
        self.firstID = firstID
    }

    /// The bits of a name's hash (its upper 32 bits, shifted down) kept beside the id in a slot.
    @inline(__always)
    static func tag(_ hash32: UInt64, shift: UInt32) -> UInt32 {
        shift >= 32 ? 0 : UInt32(truncatingIfNeeded: hash32 >> 12) << shift
    }

    /// Calls `body` with each own type id named `name` (of `kind`, when given), until it returns false.
    func forEach(named name: UnsafeBufferPointer<UInt8>, kind: Kind?, _ body: (TypeID) -> Bool) {
        guard !name.isEmpty else { return }
        let hash = NameHash.hash(name) >> 32
        let tag = Self.tag(hash, shift: idBits)
        let idMask: UInt32 = idBits >= 32 ? .max : (1 << idBits) - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let entry = slots[slot]
            if entry & ~idMask == tag {
                let id = entry & idMask
                let offset = Int(offsets[Int(id &- firstID)])
                let record = Record(UnsafeRawBufferPointer(rebasing: types[offset..<offset + 12]), order: order)
                if strings.hasName(name, at: record.u32(0)),
                   kind.map({ $0.rawValue == UInt8(truncatingIfNeeded: record.u32(4) >> 24) & 0x1f }) ?? true,
                   !body(id) { return }
            }
            slot = (slot &+ 1) & mask
        }
    }
}

/// A fast 64-bit hash of names, a word at a time: the same value whether the
/// name's length is known (a query) or found by its NUL (a name in BTF).
enum NameHash {
    static let k: UInt64 = 0x9e37_79b9_7f4a_7c15

    /// One multiply per word keeps the dependency chain short; ``finish`` avalanches once at the end.
    @inline(__always)
    static func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
        (h ^ word) &* k
    }

    @inline(__always)
    static func finish(_ h: UInt64, tail: UInt64, length: Int) -> UInt64 {
        var m = (h ^ tail ^ UInt64(truncatingIfNeeded: length) << 56) &* k
        m ^= m >> 29
        m = m &* k
        return m ^ (m >> 32)
    }

    /// The bytes as a little-endian word, zero-padded (at most 8 bytes).
    @inline(__always)
    static func partialWord(_ p: UnsafeRawPointer, count: Int) -> UInt64 {
        var w: UInt64 = 0
        for i in 0..<count { w |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << (8 * UInt64(i)) }
        return w
    }

    static func hash(_ name: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let p = UnsafeRawPointer(name.baseAddress.unsafelyUnwrapped)
        var h: UInt64 = 0
        var at = 0
        while name.count - at >= 8 {
            h = mix(h, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
            at += 8
        }
        return finish(h, tail: partialWord(p + at, count: name.count - at), length: name.count)
    }

    /// Hashes the NUL-terminated name at `start` (a NUL is known to lie before `end`); returns hash and length.
    @inline(__always)
    static func hashTerminated(_ start: UnsafeRawPointer, end: UnsafeRawPointer) -> (UInt64, Int) {
        var h: UInt64 = 0
        var p = start
        while end - p >= 8 {
            let w = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
            let zeros = (w &- 0x0101_0101_0101_0101) & ~w & 0x8080_8080_8080_8080
            if zeros == 0 {
                h = mix(h, w)
                p += 8
                continue
            }
            let n = zeros.trailingZeroBitCount / 8
            let tail = n == 0 ? 0 : w & (UInt64.max >> (64 - 8 * UInt64(n)))
            let length = p - start + n
            return (finish(h, tail: tail, length: length), length)
        }
        var n = 0
        while p.load(fromByteOffset: n, as: UInt8.self) != 0 { n += 1 }
        let length = p - start + n
        return (finish(h, tail: partialWord(p, count: n), length: length), length)
    }
}

extension StringSection {
    /// Whether the string at `offset` is exactly `name`.
    @inline(__always)
    func hasName(_ name: UnsafeBufferPointer<UInt8>, at offset: UInt32) -> Bool {
        guard let candidate = string(at: offset) else { return false }
        return candidate == ByteString(name)
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
