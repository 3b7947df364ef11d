import ELF64

/// The linker's tables by name (sections, globals, BTF declarations): names are views into the
/// inputs, found by open addressing over the keyed ``ByteHash`` (crafted names cannot share a probe
/// run). One hash and usually one comparison per lookup; no `Hasher`, two allocations per table.
/// Entries are numbered in insertion order and never removed.
struct NameMap<Value> {
    private var entries: [(name: ByteString, hash: UInt64, value: Value)] = []
    /// Slot → entry + 1 (0: free); a power of two at most half full, empty before the first entry.
    private var slots: [UInt32] = []
    /// The entries the table is first made for.
    private let expected: Int

    /// A table expecting about `capacity` names (it grows past them).
    init(capacity: Int = 8) { expected = max(capacity, 1) }

    /// `name`'s value, if it has one.
    subscript(name: ByteString) -> Value? {
        guard let entry = entry(of: name, hash: ByteHash.hash(name.utf8)).found else { return nil }
        return entries[entry].value
    }

    /// Adds `name` with `value` unless it has a value already; returns its entry and whether it was added.
    @discardableResult
    mutating func insert(_ name: ByteString, _ value: Value) -> (entry: Int, added: Bool) {
        if slots.isEmpty {
            entries.reserveCapacity(expected)
            grow(to: 2 * expected)
        }
        let hash = ByteHash.hash(name.utf8)
        let (found, slot) = entry(of: name, hash: hash)
        if let found { return (found, false) }
        let entry = entries.count
        entries.append((name, hash, value))
        slots[slot] = UInt32(entry + 1)
        if 2 * entries.count > slots.count { grow(to: 2 * slots.count) }
        return (entry, true)
    }

    /// Changes the value of entry `entry` (as ``insert(_:_:)`` numbered it) in place.
    mutating func update(_ entry: Int, _ change: (inout Value) -> Void) { change(&entries[entry].value) }

    /// The entry holding `name`, or the free slot where it goes.
    private func entry(of name: ByteString, hash: UInt64) -> (found: Int?, slot: Int) {
        guard !slots.isEmpty else { return (nil, 0) }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let entry = Int(slots[slot] - 1)
            if entries[entry].hash == hash && entries[entry].name == name { return (entry, slot) }
            slot = (slot + 1) & mask
        }
        return (nil, slot)
    }

    /// Rebuilds the slots, at least `size` of them (a power of two).
    private mutating func grow(to size: Int) {
        var count = 16
        while count < size { count *= 2 }
        slots = [UInt32](filling: count, with: 0)
        let mask = count - 1
        for (entry, item) in entries.enumerated() {
            var slot = Int(truncatingIfNeeded: item.hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(entry + 1)
        }
    }
}
