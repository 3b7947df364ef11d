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

    /// Makes room for the own types of `btfs` at once (reserving per input would copy the arrays
    /// once per input).
    mutating func reserve(for btfs: [BTF]) {
        let count = btfs.reduce(kinds.count) { $0 + $1.ownTypeCount }
        // The records' trailing words: their bytes past the 12-byte headers.
        let trailing = btfs.reduce(words.count) { $0 + ($1.types.count - 12 * $1.ownTypeCount) / 4 }
        kinds.reserveCapacity(count)
        names.reserveCapacity(count)
        infos.reserveCapacity(count)
        sizes.reserveCapacity(count)
        starts.reserveCapacity(count + 1)
        words.reserveCapacity(trailing)
    }

    /// Appends the own types of `btf`, their references offset by `shift` (a reference below
    /// `keepBelow` is a base type's and stays); a reference past `btf`'s last type is an error.
    mutating func append(_ btf: BTF, shift: UInt32, keepBelow: UInt32) throws(BTFError) {
        // The records the index pass proved whole, read in place (no decoded type per record); a name
        // is its bytes' id, an offset past the string section an error as on decoding.
        let record = btf.typeWords, strings = btf.strings, end = btf.endID
        func name(_ offset: UInt32, _ id: TypeID, at: Int) throws(BTFError) -> UInt32 {
            if offset == 0 { return 0 }
            guard strings.contains(offset) else {
                throw BTFError(.stringOffsetOutOfRange(offset, size: strings.size), offset: at, typeID: id)
            }
            guard let string = strings.string(at: offset) else {
                throw BTFError(.stringTooLong(offset, limit: ByteString.maximumLength), offset: at, typeID: id)
            }
            return interner.intern(string)
        }
        func shifted(_ reference: UInt32, _ id: TypeID) throws(BTFError) -> UInt32 {
            guard reference < end else { throw BTFError(.typeIDOutOfRange(reference, count: Int(end)), typeID: id) }
            return reference >= keepBelow ? reference + shift : reference  // below the total count: no overflow
        }
        for index in 0..<btf.ownTypeCount {
            let id = btf.firstID + TypeID(index)
            let at = Int(btf.offsets[index])
            let info = record.u32(at + 4)
            guard let kind = Kind(rawValue: UInt8(truncatingIfNeeded: info >> 24) & 0x1f) else {
                throw BTFError(.unknownKind(UInt8(truncatingIfNeeded: info >> 24) & 0x1f), typeID: id)
            }
            kinds.append(kind)
            names.append(try name(record.u32(at), id, at: at))
            infos.append(info)  // whole, reserved bits too: libbpf compares the word
            let third = record.u32(at + 8)
            sizes.append(kind.hasTypeReference ? try shifted(third, id) : third)
            for word in 0..<kind.trailingSize(vlen: Int(info & 0xffff)) / 4 {
                let value = record.u32(at + 12 + 4 * word)
                switch Self.role(kind, word: word) {
                case .name: words.append(try name(value, id, at: at))
                case .reference: words.append(try shifted(value, id))
                case .value: words.append(value)
                }
            }
            starts.append(words.count)
        }
    }

    /// Checks that no own type refers to a VAR, DATASEC or DECL_TAG, but DATASECs to their VARs
    /// and DECL_TAGs to what they tag: the comparisons would meet them where no type can be (libbpf
    /// fails there, when it compares them), and skipping a comparison must not skip the error.
    func checkReferenceTargets() throws(BTFError) {
        for id in Int(firstOwnID)..<count where kinds[id] != .dataSection {
            for index in 0..<referenceCount(of: id) {
                let target = Int(self[referenceSlot(of: id, index)])
                let allowed =
                    switch kinds[target] {
                    case .dataSection, .declTag: false
                    case .variable: kinds[id] == .declTag
                    default: true
                    }
                guard allowed else {
                    throw BTFError(.unexpectedKind(TypeID(target), kinds[target]), typeID: TypeID(id))
                }
            }
        }
    }

    /// What a word after a type's header holds.
    enum WordRole {
        /// A string offset: the first word of each member, enumerator and parameter.
        case name
        /// A type id: member, variable, parameter, element and index types.
        case reference
        case value
    }

    /// The role of word `index` after a `kind` header (the header's third word is a reference
    /// when `kind.hasTypeReference`).
    static func role(_ kind: Kind, word index: Int) -> WordRole {
        switch kind {
        case .struct, .union:
            switch index % 3 {
            case 0: .name
            case 1: .reference
            default: .value
            }
        case .enum64: index % 3 == 0 ? .name : .value
        case .enum: index % 2 == 0 ? .name : .value
        case .functionProto: index % 2 == 0 ? .name : .reference
        case .dataSection: index % 3 == 0 ? .reference : .value
        case .array: index < 2 ? .reference : .value
        default: .value
        }
    }

    /// Whether word `index` after a `kind` header is a name.
    static func isName(_ kind: Kind, word index: Int) -> Bool { role(kind, word: index) == .name }

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
