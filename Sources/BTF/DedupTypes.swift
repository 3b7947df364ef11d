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
    private var interner = StringInterner()
    var strings: [ByteString] { interner.strings }
    /// The bytes of all strings with their NULs: what a string section of them takes at most.
    var stringBytes: Int { interner.bytes }
    /// The first id that is not a base type's (1 without a base).
    var firstOwnID: UInt32 = 1

    var count: Int { kinds.count }

    /// Appends the own types of `btf`, their references offset by `shift` (a reference below
    /// `keepBelow` is a base type's and stays); a reference past `btf`'s last type is an error.
    mutating func append(_ btf: BTF, shift: UInt32, keepBelow: UInt32) throws(BTFError) {
        let count = btf.ownTypeCount
        kinds.reserveCapacity(kinds.count + count)
        names.reserveCapacity(names.count + count)
        infos.reserveCapacity(infos.count + count)
        sizes.reserveCapacity(sizes.count + count)
        starts.reserveCapacity(starts.count + count)
        words.reserveCapacity(words.count + (btf.types.count - 12 * count) / 4)  // the records' trailing words
        // The records the index pass proved whole, read in place (no decoded type per record); a name
        // is its bytes' id, an offset past the string section an error as on decoding.
        let record = btf.typeWords, strings = btf.strings
        func name(_ offset: UInt32, _ id: TypeID, at: Int) throws(BTFError) -> UInt32 {
            if offset == 0 { return 0 }
            guard strings.contains(offset) else {
                throw BTFError(.stringOffsetOutOfRange(offset, size: strings.size), offset: at, typeID: id)
            }
            return interner.intern(strings.string(at: offset) ?? .empty)
        }
        for index in 0..<count {
            let id = btf.firstID + TypeID(index)
            let at = Int(btf.offsets[index])
            let info = record.u32(at + 4)
            guard let kind = Kind(rawValue: UInt8(truncatingIfNeeded: info >> 24) & 0x1f) else {
                throw BTFError(.unknownKind(UInt8(truncatingIfNeeded: info >> 24) & 0x1f), typeID: id)
            }
            kinds.append(kind)
            names.append(try name(record.u32(at), id, at: at))
            infos.append(info & 0x9f00_ffff)  // kind, vlen and kind flag: the bits libbpf compares
            sizes.append(record.u32(at + 8))
            for word in 0..<kind.trailingSize(vlen: Int(info & 0xffff)) / 4 {
                let value = record.u32(at + 12 + 4 * word)
                words.append(Self.isName(kind, word: word) ? try name(value, id, at: at) : value)
            }
            starts.append(words.count)
            let new = kinds.count - 1
            for slotIndex in 0..<referenceCount(of: new) {
                let slot = referenceSlot(of: new, slotIndex)
                let reference = self[slot]
                guard reference < btf.endID else {
                    throw BTFError(.typeIDOutOfRange(reference, count: Int(btf.endID)), typeID: id)
                }
                if reference >= keepBelow { self[slot] = reference + shift }  // below the total count: no overflow
            }
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
