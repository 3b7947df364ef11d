import BTF
import ELF64

/// Values by key (a name, or a name within a section), the first of each key winning: a
/// handful (the usual object) searched in place, more (large or hostile objects) hashed.
struct FirstByName<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// Every entry, in the order given (later duplicates included).
    let entries: [(key: Key, value: Value)]
    private let table: [Key: Value]
    private static var searchLimit: Int { 16 }

    init(_ entries: [(key: Key, value: Value)]) {
        self.entries = entries
        var table: [Key: Value] = [:]
        if entries.count > Self.searchLimit {
            for (key, value) in entries where table[key] == nil { table[key] = value }
        }
        self.table = table
    }

    subscript(key: Key) -> Value? {
        entries.count > Self.searchLimit ? table[key] : entries.first { $0.key == key }?.value
    }
}

extension FirstByName where Key == ByteString {
    subscript(name: String) -> Value? {
        var name = name
        return name.withUTF8 { self[ByteString($0)] }
    }
}

/// A symbol's name within its section.
struct SectionSymbol: Hashable, Sendable {
    let section: Int
    let name: ByteString

    /// The name's hash with the section folded into the table's seed: no `Hasher` per lookup.
    func _rawHashValue(seed: Int) -> Int { name._rawHashValue(seed: seed ^ section &* 0x7e37_79b9_7f4a_7c15) }
}

/// An object's DATASECs by name.
typealias DataSections = FirstByName<ByteString, TypeID>

extension FirstByName where Key == ByteString, Value == TypeID {
    init(_ btf: BTF?) {
        var entries: [(key: ByteString, value: TypeID)] = []
        if let btf {
            entries.reserveCapacity(4)
            btf.forEachType(ofKind: .dataSection) { entries.append(($1, $0)) }
        }
        self.init(entries)
    }
}
