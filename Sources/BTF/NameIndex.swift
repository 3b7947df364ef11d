import ELF64

/// Type ids by name: an open-addressing hash table over a BTF blob's own
/// named types, built in one pass and compared in place (no string copies).
///
/// Each 32-bit slot holds a type id in its low bits and, above it, a tag
/// taken from the name's hash, so most non-matching probes are rejected
/// without touching the string. A name carried by several types occupies one
/// slot, holding its latest id; the earlier ids hang off it in `earlier`, so
/// repeated names (vmlinux has 203 `bpf_kfunc` tags; hostile input may have
/// millions) cost one probe each, not a walk of their cluster.
public struct NameIndex: @unchecked Sendable {
    private let slots: [UInt32]
    private let mask: Int
    private let idBits: UInt32
    private let earlier: [UInt32: UInt32]
    private let types: UnsafeRawBufferPointer
    private let offsets: [UInt32]
    private let strings: StringSection
    private let order: ByteOrder
    private let firstID: TypeID
    private let key: NameHash.Key

    /// Runs `first` on the calling thread and `second` on another, returning only when both are
    /// done (the halves write into memory freed after it returns). This module starts no thread of
    /// its own: the package's kernel side passes one in; the contract is why this is not public.
    package typealias Pair = (_ first: () -> Void, _ second: @escaping @Sendable () -> Void) -> Void

    /// Builds the index of `btf`'s own named types (``BTF/nameIndex`` caches one).
    public init(_ btf: BTF) { self.init(btf, concurrently: nil) }

    /// Builds the index, a large blob's names hashed in two halves at once with `concurrently`.
    package init(_ btf: BTF, concurrently: Pair?) {
        let offsets = btf.offsets, strings = btf.strings, firstID = btf.firstID, order = btf.byteOrder
        let idBits = UInt32(UInt32.bitWidth - btf.endID.leadingZeroBitCount)
        let idMask: UInt32 = idBits >= 32 ? .max : (1 << idBits) - 1
        let types = btf.types
        // One pass in type order (sequential over types and, mostly, strings).
        // Sized to the named types, the load stays under 2/3; a small table stays in cache.
        var capacity = 16
        while capacity < btf.namedCount + btf.namedCount / 2 { capacity <<= 1 }
        let mask = capacity - 1
        var slots = [UInt32](repeating: 0, count: capacity)
        var earlier: [UInt32: UInt32] = [:]
        // First every named type's home slot and tagged id, in type order: on two threads for a
        // large blob (hashing is most of the work), in one for a small one. Then placement, which
        // only stores, so the table's cache misses overlap (placing each name as it was hashed
        // left them one at a time).
        let entries = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: max(offsets.count, 1))
        defer { entries.deallocate() }
        let key = NameHash.Key.process
        let hashing = Hashing(
            types: types, strings: strings, order: order, firstID: firstID, mask: mask, idBits: idBits, key: key)
        let runs = offsets.withUnsafeBufferPointer { offsets in
            hashing.entries(offsets, into: entries, concurrently: concurrently)
        }
        slots.withUnsafeMutableBufferPointer { table in
            offsets.withUnsafeBufferPointer { offsets in
                for run in runs {
                    for entry in entries[run] {
                        let tagged = UInt32(truncatingIfNeeded: entry)
                        var slot = Int(truncatingIfNeeded: entry >> 32)
                        while table[slot] != 0 {
                            let other = table[slot]
                            if other & ~idMask == tagged & ~idMask,
                                let name = strings.terminated(
                                    at: Record.nameOffset(
                                        types, at: offsets[Int((tagged & idMask) &- firstID)], order: order)),
                                let otherName = strings.terminated(
                                    at: Record.nameOffset(
                                        types, at: offsets[Int((other & idMask) &- firstID)], order: order)),
                                name.equals(otherName)
                            {
                                earlier[tagged & idMask] = other & idMask
                                break
                            }
                            slot = (slot &+ 1) & mask
                        }
                        table[slot] = tagged
                    }
                }
            }
        }
        self.slots = slots
        self.mask = mask
        self.idBits = idBits
        self.earlier = earlier
        self.types = types
        self.offsets = offsets
        self.strings = strings
        self.order = order
        self.firstID = firstID
        self.key = key
    }

    /// Computes index entries (home slot << 32 | tag | id) for named types; read-only over the blob,
    /// so two threads can share it.
    private struct Hashing: @unchecked Sendable {
        let types: UnsafeRawBufferPointer
        let strings: StringSection
        let order: ByteOrder
        let firstID: TypeID
        let mask: Int
        let idBits: UInt32
        let key: NameHash.Key

        /// Blobs with fewer types are hashed on the calling thread alone (a thread costs tens of µs).
        static let parallelThreshold = 16_384

        /// The entries of types `range`, written from `out`; returns how many.
        func entries(
            _ offsets: UnsafeBufferPointer<UInt32>, _ range: Range<Int>, into out: UnsafeMutablePointer<UInt64>
        ) -> Int {
            var count = 0
            for index in range {
                let nameOffset = Record.nameOffset(types, at: offsets[index], order: order)
                guard nameOffset != 0, let name = strings.terminated(at: nameOffset) else { continue }
                let (hash, isEmpty) = NameHash.hashTerminated(name.start, end: name.end, key: key)
                guard !isEmpty else { continue }
                let slot = UInt64(truncatingIfNeeded: Int(truncatingIfNeeded: hash) & mask)
                out[count] = slot << 32 | UInt64(UInt32(firstID &+ TypeID(index)) | NameIndex.tag(hash, shift: idBits))
                count &+= 1
            }
            return count
        }

        /// Every type's entry in `out`, the second half hashed concurrently when the blob is large
        /// and the caller offers a second thread; returns the ranges of `out` filled, in type order.
        func entries(
            _ offsets: UnsafeBufferPointer<UInt32>, into out: UnsafeMutableBufferPointer<UInt64>,
            concurrently: Pair?
        ) -> [Range<Int>] {
            guard let base = out.baseAddress else { return [] }
            let total = offsets.count
            guard total >= Self.parallelThreshold, let concurrently else {
                return [0..<entries(offsets, 0..<total, into: base)]
            }
            let half = total / 2
            // The buffers outlive the call (`concurrently` returns when both halves are done).
            let job = SecondHalf { entries(offsets, half..<total, into: base + half) }
            var first = 0
            concurrently({ first = entries(offsets, 0..<half, into: base) }, { job.run() })
            return [0..<first, half..<half + job.count]
        }
    }

    /// The second half's hashing, run on the caller's other thread; its count is read after both end.
    private final class SecondHalf: @unchecked Sendable {
        let work: () -> Int
        var count = 0
        init(_ work: @escaping () -> Int) { self.work = work }
        func run() { count = work() }
    }

    /// The bits of a name's hash (its upper 32 bits) kept beside the id in a slot.
    @inline(__always)
    static func tag(_ hash: UInt64, shift: UInt32) -> UInt32 {
        shift >= 32 ? 0 : UInt32(truncatingIfNeeded: hash >> 44) << shift
    }

    /// Calls `body` with each own type id named `name` (of `kind`, when given), latest first.
    func forEach(named name: UnsafeBufferPointer<UInt8>, kind: Kind?, _ body: (TypeID) -> Void) {
        guard !name.isEmpty else { return }
        let hash = NameHash.hash(name, key: key)
        let tag = Self.tag(hash, shift: idBits)
        let idMask: UInt32 = idBits >= 32 ? .max : (1 << idBits) - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let entry = slots[slot]
            if entry & ~idMask == tag, strings.hasName(name, at: nameOffset(of: entry & idMask)) {
                var id: UInt32? = entry & idMask
                while let each = id {
                    if kind.map({ $0.rawValue == self.kind(of: each) }) ?? true { body(each) }
                    id = earlier[each]
                }
                return
            }
            slot = (slot &+ 1) & mask
        }
    }

    private func nameOffset(of id: TypeID) -> UInt32 {
        Record.nameOffset(types, at: offsets[Int(id &- firstID)], order: order)
    }

    private func kind(of id: TypeID) -> UInt8 {
        let offset = Int(offsets[Int(id &- firstID)])
        let info = Record(types, order: order).u32(offset + 4)  // the index pass proved the record whole
        return UInt8(truncatingIfNeeded: info >> 24) & 0x1f
    }
}

extension Record {
    /// The name offset that starts the type record at `offset` of a type section (the BTF index pass proved the record whole).
    @inline(__always)
    static func nameOffset(_ types: UnsafeRawBufferPointer, at offset: UInt32, order: ByteOrder) -> UInt32 {
        Record(types, order: order).u32(Int(offset))
    }
}

/// A NUL-terminated name in a string section: `start` up to its NUL, which lies before `end`.
struct TerminatedName {
    let start: UnsafeRawPointer
    let end: UnsafeRawPointer

    /// Whether both names have the same bytes.
    func equals(_ other: TerminatedName) -> Bool {
        var at = 0
        while true {
            let byte = start.load(fromByteOffset: at, as: UInt8.self)
            guard byte == other.start.load(fromByteOffset: at, as: UInt8.self) else { return false }
            if byte == 0 { return true }
            at += 1
        }
    }
}

extension StringSection {
    /// The name at `offset`, or nil if the offset lies outside both string tables.
    @inline(__always)
    func terminated(at offset: UInt32) -> TerminatedName? {
        let baseCount = UInt32(truncatingIfNeeded: base.count)
        let table = offset < baseCount ? base : own
        let at = Int(offset < baseCount ? offset : offset &- baseCount)
        guard at < table.count, let start = table.baseAddress else { return nil }
        return TerminatedName(start: start + at, end: start + table.count)
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
        name.withUTF8 { utf8 in nameIndex.forEach(named: utf8, kind: kind) { ids.append($0) } }
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
            }
        }
        return best
    }
}
