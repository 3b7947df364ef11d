import BTF
import ELF64

/// Values by name, the first of each name winning: a handful (the usual object) searched in
/// place, more (large or hostile objects) hashed.
struct FirstByName<Value: Sendable>: Sendable {
    private let list: [(name: ByteString, value: Value)]
    private let table: [ByteString: Value]
    private static var searchLimit: Int { 16 }

    init(_ list: [(name: ByteString, value: Value)]) {
        self.list = list
        var table: [ByteString: Value] = [:]
        if list.count > Self.searchLimit {
            for (name, value) in list where table[name] == nil { table[name] = value }
        }
        self.table = table
    }

    subscript(name: ByteString) -> Value? {
        list.count > Self.searchLimit ? table[name] : list.first { $0.name == name }?.value
    }

    subscript(name: String) -> Value? {
        var name = name
        return name.withUTF8 { self[ByteString($0)] }
    }
}

/// An object's DATASECs by name.
typealias DataSections = FirstByName<TypeID>

extension FirstByName where Value == TypeID {
    init(_ btf: BTF?) {
        self.init((btf?.types(ofKind: .dataSection) ?? []).map { ($0.name, $0.id) })
    }
}
