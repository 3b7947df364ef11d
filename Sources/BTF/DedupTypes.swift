import ELF64

/// The types deduplication works on: every input's types in one id space, as flat arrays (one
/// entry per id, 0 being void), names as ids of distinct strings, so that two names are equal
/// exactly when their ids are.
struct DedupTypes {
    var kinds: [Kind] = [.int]  // id 0 (void): never compared as a type
    var names: [UInt32] = [0]
    /// The raw `info` word: kind, vlen and kind flag, compared whole as libbpf compares it.
    var infos: [UInt32] = [0]
    var sizes: [UInt32] = [0]
    /// Where each type's words after the header start in `words`; `starts[id + 1]` is its end.
    var starts: [Int] = [0, 0]
    /// The words after each header; the name words of members, enumerators and parameters hold string ids.
    var words: [UInt32] = []
    /// Distinct strings by id (0 is the empty name), in first-use order.
    private(set) var strings: [ByteString] = [.empty]
    private var stringIDs: [ByteString: UInt32] = [.empty: 0]
    /// The first id that is not a base type's (1 without a base).
    var firstOwnID: UInt32 = 1

    var count: Int { kinds.count }

    /// Appends the own types of `btf`, their references offset by `shift` (a reference below
    /// `keepBelow` is a base type's and stays); a reference past `btf`'s last type is an error.
    mutating func append(_ btf: BTF, shift: UInt32, keepBelow: UInt32) throws(BTFError) {
        // Each string offset is looked up by its bytes once; later uses of the offset (member names
        // repeat) cost one probe of this table.
        var byOffset = HashHeads(capacity: btf.ownTypeCount * 2)
        func name(_ offset: UInt32) -> UInt32 {
            let known = byOffset[Int(offset) + 1]
            if known != 0 { return known - 1 }
            let id = intern(btf.strings.string(at: offset) ?? .empty)
            _ = byOffset.insert(Int(offset) + 1, id + 1)
            return id
        }
        let count = btf.ownTypeCount
        kinds.reserveCapacity(kinds.count + count)
        names.reserveCapacity(names.count + count)
        infos.reserveCapacity(infos.count + count)
        sizes.reserveCapacity(sizes.count + count)
        starts.reserveCapacity(starts.count + count)
        words.reserveCapacity(words.count + btf.bytes.count / 8)  // a bound from the blob's size, not its claims
        stringIDs.reserveCapacity(stringIDs.count + count)
        var id = btf.firstID
        while id < btf.endID {
            let type = try btf.type(id)
            try type.validateNames()
            kinds.append(type.kind)
            names.append(name(type.nameOffset))
            infos.append(UInt32(type.vlen) | UInt32(type.kind.rawValue) << 24 | (type.kindFlag ? 1 << 31 : 0))
            sizes.append(type.sizeOrType)
            for index in 0..<type.trailing.bytes.count / 4 {
                let word = type.trailing.u32(index * 4)
                words.append(Self.isName(type.kind, word: index) ? name(word) : word)
            }
            starts.append(words.count)
            let new = kinds.count - 1
            for index in 0..<referenceCount(of: new) {
                let slot = referenceSlot(of: new, index)
                let reference = self[slot]
                guard reference < btf.endID else {
                    throw BTFError(.typeIDOutOfRange(reference, count: Int(btf.endID)), typeID: id)
                }
                if reference >= keepBelow { self[slot] = reference + shift }  // below the total count: no overflow
            }
            id += 1
        }
    }

    /// Whether word `index` after a `kind` header is a name: the first of each member,
    /// enumerator or parameter. (References: `referenceSlot(of:_:)`.)
    static func isName(_ kind: Kind, word index: Int) -> Bool {
        switch kind {
        case .struct, .union, .enum64: index % 3 == 0
        case .enum, .functionProto: index % 2 == 0
        default: false
        }
    }

    private mutating func intern(_ string: ByteString) -> UInt32 {
        if let id = stringIDs[string] { return id }
        let id = UInt32(strings.count)
        strings.append(string)
        stringIDs[string] = id
        return id
    }

    /// A place holding a type reference: the header's third word, or a word after it.
    enum Slot {
        case header(Int)
        case word(Int)
    }

    subscript(slot: Slot) -> UInt32 {
        get {
            switch slot {
            case .header(let id): sizes[id]
            case .word(let index): words[index]
            }
        }
        set {
            switch slot {
            case .header(let id): sizes[id] = newValue
            case .word(let index): words[index] = newValue
            }
        }
    }

    /// How many type references type `id` holds.
    func referenceCount(of id: Int) -> Int {
        let kind = kinds[id]
        let words = starts[id + 1] - starts[id]
        switch kind {
        case .struct, .union, .dataSection: return words / 3
        case .functionProto: return 1 + words / 2
        case .array: return min(words, 2)
        default: return kind.hasTypeReference ? 1 : 0
        }
    }

    /// Type `id`'s reference number `index`, in libbpf's visiting order (the header's first).
    func referenceSlot(of id: Int, _ index: Int) -> Slot {
        let start = starts[id]
        switch kinds[id] {
        case .struct, .union: return .word(start + 3 * index + 1)
        case .dataSection: return .word(start + 3 * index)
        case .functionProto: return index == 0 ? .header(id) : .word(start + 2 * (index - 1) + 1)
        case .array: return .word(start + index)
        default: return .header(id)
        }
    }

    func vlen(_ id: Int) -> Int { Int(infos[id] & 0xffff) }
    func kindFlag(_ id: Int) -> Bool { infos[id] >> 31 == 1 }
    func word(_ id: Int, _ index: Int) -> UInt32 { words[starts[id] + index] }
    func trailing(_ id: Int) -> ArraySlice<UInt32> { words[starts[id]..<starts[id + 1]] }
}
