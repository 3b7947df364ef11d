import ELF64

/// Distinct strings numbered in first-use order (0 is the empty string), found by their bytes
/// through ``NameHash`` (keyed per process, so crafted names cannot share one probe run) in an
/// open-addressing table: one hash and usually one comparison per lookup, no allocation per string.
struct StringInterner {
    /// The strings by id.
    private(set) var strings: [ByteString] = [.empty]
    /// The strings' bytes, a NUL after each: the size of a string section holding them all.
    private(set) var bytes = 1
    /// Each string's hash, kept to grow the table without hashing again.
    private var hashes: [UInt64] = [0]
    /// Slot → string id + 1 (0: free); a power of two, at most half full.
    private var slots: [UInt32] = []
    /// The hash key, read once (a static read calls its lazy initialiser each time).
    private let key = NameHash.Key.process

    init(capacity: Int = 0) {
        var size = 64
        while size < 2 * capacity { size *= 2 }
        slots = [UInt32](filling: size, with: 0)
        strings.reserveCapacity(capacity + 1)
        hashes.reserveCapacity(capacity + 1)
    }

    /// Makes room for `count` more strings without growing.
    mutating func reserve(additional count: Int) {
        strings.reserve(additional: count)
        hashes.reserve(additional: count)
        if 2 * (strings.count + count) > slots.count {
            var size = slots.count
            while size < 2 * (strings.count + count) { size *= 2 }
            rehash(slots: size)
        }
    }

    /// The id of `string`, numbered anew if it was not met before.
    mutating func intern(_ string: ByteString) -> UInt32 {
        guard !string.isEmpty else { return 0 }
        let hash = NameHash.hash(string.utf8, key: key)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let id = Int(slots[slot] - 1)
            if hashes[id] == hash && strings[id] == string { return UInt32(id) }
            slot = (slot + 1) & mask
        }
        let id = UInt32(strings.count)
        strings.append(string)
        hashes.append(hash)
        bytes += string.count + 1
        slots[slot] = id + 1
        if strings.count * 2 > slots.count { rehash(slots: 2 * slots.count) }
        return id
    }

    /// Places every string anew in `size` slots (a power of two).
    private mutating func rehash(slots size: Int) {
        slots = [UInt32](filling: size, with: 0)
        let mask = size - 1
        for id in 1..<strings.count {
            var slot = Int(truncatingIfNeeded: hashes[id]) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(id + 1)
        }
    }
}
