import BTF
import ELF64

/// An object's DATASECs by name, the first of each name winning: a handful searched in place,
/// more (hostile objects) hashed.
struct DataSections: Sendable {
    private let list: [(id: TypeID, name: ByteString)]
    private let table: [ByteString: TypeID]
    private static let searchLimit = 16

    init(_ btf: BTF?) {
        list = btf?.types(ofKind: .dataSection) ?? []
        var table: [ByteString: TypeID] = [:]
        if list.count > Self.searchLimit {
            for (id, name) in list where table[name] == nil { table[name] = id }
        }
        self.table = table
    }

    subscript(name: ByteString) -> TypeID? {
        list.count > Self.searchLimit ? table[name] : list.first { $0.name == name }?.id
    }

    subscript(name: String) -> TypeID? {
        var name = name
        return name.withUTF8 { self[ByteString($0)] }
    }
}
