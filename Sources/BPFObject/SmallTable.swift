/// Values by key, filled as it goes: up to 16 keys (the usual object) kept in a list searched in
/// place, where hashing each key would cost more than the search; past that, hashed (large or
/// hostile objects), so that lookups stay constant-time.
struct SmallTable<Key: Hashable, Value> {
    private var few: [(key: Key, value: Value)] = []
    private var many: [Key: Value] = [:]
    private static var searchLimit: Int { 16 }

    /// An empty table with room for `count` keys in its list.
    init(expecting count: Int = 0) { few.reserveCapacity(min(count, Self.searchLimit)) }

    var isEmpty: Bool { few.isEmpty && many.isEmpty }

    subscript(key: Key) -> Value? {
        many.isEmpty ? few.first { $0.key == key }?.value : many[key]
    }

    /// Keeps `value` for `key` unless `key` has one; returns whether it was new.
    mutating func insert(_ key: Key, _ value: Value) -> Bool {
        guard self[key] == nil else { return false }
        if !many.isEmpty {
            many[key] = value
        } else if few.count < Self.searchLimit {
            few.append((key, value))
        } else {  // the 17th: from now on, the table alone
            for entry in few { many[entry.key] = entry.value }
            many[key] = value
            few = []
        }
        return true
    }

    /// Replaces the value of `key` by `transform` of it, when `key` has one.
    mutating func update(_ key: Key, _ transform: (Value) -> Value) {
        if many.isEmpty {
            guard let index = few.firstIndex(where: { $0.key == key }) else { return }
            few[index].value = transform(few[index].value)
        } else if let index = many.index(forKey: key) {
            many.values[index] = transform(many.values[index])
        }
    }
}
