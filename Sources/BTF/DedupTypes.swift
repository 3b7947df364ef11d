import ELF64

/// The types deduplication works on: every input's types in one id space, as flat arrays (one
/// entry per id, 0 being void), names as ids of distinct strings, so that two names are equal
/// exactly when their ids are.
package struct DedupTypes {
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

    /// The number of ids, void's included: the id the next type appended gets.
    package var count: Int { kinds.count }

    package init() {}

    /// Makes room for the own types of `btfs` at once (reserving per input would copy the arrays
    /// once per input).
    package mutating func reserve(for btfs: [BTF]) {
        let count = btfs.reduce(kinds.count) { $0 + $1.ownTypeCount }
        // The records' trailing words: their bytes past the 12-byte headers.
        let trailing = btfs.reduce(words.count) { $0 + ($1.types.count - 12 * $1.ownTypeCount) / 4 }
        // Twofold growth at least: the linker reserves once per input.
        let added = count - kinds.count
        kinds.reserve(additional: added)
        names.reserve(additional: added)
        infos.reserve(additional: added)
        sizes.reserve(additional: added)
        starts.reserve(additional: added)
        words.reserve(additional: trailing - words.count)
        // About a name a type: small inputs (the linker's) never grow the interner; a large one
        // grows it as it needs (reserving a name per type would overshoot vmlinux's by half).
        interner.reserve(additional: min(added, 4096))
    }

    /// Appends the own types of `btf`, their references offset by `shift` (a reference below
    /// `keepBelow` is a base type's and stays); a reference past `btf`'s last type is an error.
    mutating func append(_ btf: BTF, shift: UInt32, keepBelow: UInt32) throws(BTFError) {
        try append(records: nil, of: btf, Rebase(end: btf.endID, shift: shift, keepBelow: keepBelow))
    }

    /// Appends the own types numbered `indices` of `btf` (their ids less `firstID`), in that order,
    /// their references as they are (in `btf`'s ids: for ``renumberReferences(from:map:firstID:)``
    /// to rewrite once every record is in).
    package mutating func append(records indices: [Int], of btf: BTF) throws(BTFError) {
        try append(records: indices, of: btf, Rebase(end: nil, shift: 0, keepBelow: .max))
    }

    /// How appended records' references change: checked to be below `end` (nil: not checked),
    /// and offset by `shift` from `keepBelow` up. (Data, not a closure: one copy of the append
    /// loop serves both callers.)
    private struct Rebase {
        let end: TypeID?
        let shift: UInt32
        let keepBelow: UInt32

        @inline(__always)
        func callAsFunction(_ reference: UInt32, _ id: TypeID) throws(BTFError) -> UInt32 {
            if let end, reference >= end {
                throw BTFError(.typeIDOutOfRange(reference, count: Int(end)), typeID: id)
            }
            return reference >= keepBelow ? reference + shift : reference  // below the total count: no overflow
        }
    }

    /// Appends records `indices` of `btf` (nil: all of them), their references rebased. A name is
    /// its bytes' id; an offset past the string section, or a name past ``ByteString/maximumLength``,
    /// is an error (and nothing is appended but names).
    private mutating func append(records indices: [Int]?, of btf: BTF, _ reference: Rebase) throws(BTFError) {
        btf.byteOrder == .host
            ? try append(records: indices, of: btf, HostOrder.self, reference: reference)
            : try append(records: indices, of: btf, SwappedOrder.self, reference: reference)
    }

    /// ``append(records:of:_:)`` in the byte order `Order` (no branch on it per word). Each
    /// record is read in place, word by word in its kind's layout (the index pass proved it whole,
    /// its size `Kind.recordSize`, which these loops follow entry for entry), into one scratch
    /// allocation sized from the records' extents, then appended to the columns at once: no
    /// capacity or uniqueness check per word.
    private mutating func append<Order: WordOrder>(
        records indices: [Int]?, of btf: BTF, _: Order.Type, reference: Rebase
    ) throws(BTFError) {
        let count = indices?.count ?? btf.ownTypeCount
        guard count > 0 else { return }
        let offsets = btf.offsets, record = btf.typeWords, strings = btf.strings, typeBytes = btf.types.count
        func extent(_ index: Int) -> Int {
            (index + 1 < offsets.count ? Int(offsets[index + 1]) : typeBytes) - Int(offsets[index])
        }
        var trailing = 0  // the words after the headers, all records together
        if let indices {
            for index in indices { trailing += (extent(index) - 12) / 4 }
        } else {
            trailing = (typeBytes - 12 * count) / 4  // the records tile the type section
        }
        // One allocation: starts (count), then names, infos, sizes (count each) and the trailing
        // words, then kinds (count bytes).
        let wordCount = 3 * count + trailing
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: 8 * count + 4 * wordCount + count, alignment: 8)
        defer { scratch.deallocate() }
        let startsOut = scratch.bindMemory(to: Int.self, capacity: count)
        let wordsOut = (scratch + 8 * count).bindMemory(to: UInt32.self, capacity: wordCount)
        let kindsOut = (scratch + 8 * count + 4 * wordCount).bindMemory(to: Kind.self, capacity: count)
        var w = 3 * count  // the next trailing word
        func put(_ value: UInt32) {
            precondition(w < wordCount, "a record's words past its extent")
            wordsOut[w] = value
            w += 1
        }
        let firstWord = words.count
        for i in 0..<count {
            let index = indices?[i] ?? i
            let id = btf.firstID + TypeID(index)
            let at = Int(offsets[index])
            func name(_ offset: UInt32) throws(BTFError) -> UInt32 {
                if offset == 0 { return 0 }
                guard let string = strings.string(at: offset) else {
                    guard strings.contains(offset) else {
                        throw BTFError(.stringOffsetOutOfRange(offset, size: strings.size), offset: at, typeID: id)
                    }
                    throw BTFError(.stringTooLong(offset, limit: ByteString.maximumLength), offset: at, typeID: id)
                }
                return interner.intern(string)
            }
            func u32(_ offset: Int) -> UInt32 { record.u32(offset, Order.self) }
            let info = u32(at + 4)
            guard let kind = Kind(rawValue: UInt8(truncatingIfNeeded: info >> 24) & 0x1f) else {
                throw BTFError(.unknownKind(UInt8(truncatingIfNeeded: info >> 24) & 0x1f), typeID: id)
            }
            kindsOut[i] = kind
            wordsOut[i] = try name(u32(at))
            wordsOut[count + i] = info  // whole, reserved bits too: libbpf compares the word
            let third = u32(at + 8)
            wordsOut[2 * count + i] = kind.hasTypeReference ? try reference(third, id) : third
            let vlen = Int(info & 0xffff)
            var r = at + 12
            switch kind {
            case .struct, .union:  // name, type, offset
                for _ in 0..<vlen {
                    put(try name(u32(r)))
                    put(try reference(u32(r + 4), id))
                    put(u32(r + 8))
                    r += 12
                }
            case .enum:  // name, value
                for _ in 0..<vlen {
                    put(try name(u32(r)))
                    put(u32(r + 4))
                    r += 8
                }
            case .enum64:  // name, low, high
                for _ in 0..<vlen {
                    put(try name(u32(r)))
                    put(u32(r + 4))
                    put(u32(r + 8))
                    r += 12
                }
            case .functionProto:  // name, type
                for _ in 0..<vlen {
                    put(try name(u32(r)))
                    put(try reference(u32(r + 4), id))
                    r += 8
                }
            case .dataSection:  // type, offset, size
                for _ in 0..<vlen {
                    put(try reference(u32(r), id))
                    put(u32(r + 4))
                    put(u32(r + 8))
                    r += 12
                }
            case .array:  // element type, index type, count
                put(try reference(u32(r), id))
                put(try reference(u32(r + 4), id))
                put(u32(r + 8))
            case .int, .variable, .declTag:  // encoding, linkage, component index
                put(u32(r))
            default: break
            }
            startsOut[i] = firstWord + w - 3 * count
        }
        precondition(w == wordCount, "records' words short of their extents")
        kinds.append(contentsOf: UnsafeBufferPointer(start: kindsOut, count: count))
        names.append(contentsOf: UnsafeBufferPointer(start: wordsOut, count: count))
        infos.append(contentsOf: UnsafeBufferPointer(start: wordsOut + count, count: count))
        sizes.append(contentsOf: UnsafeBufferPointer(start: wordsOut + 2 * count, count: count))
        words.append(contentsOf: UnsafeBufferPointer(start: wordsOut + 3 * count, count: trailing))
        starts.append(contentsOf: UnsafeBufferPointer(start: startsOut, count: count))
    }

    /// Rewrites the references of types `start...` through `map` (the new id of the type
    /// `firstID + i` at `map[i]`; 0 keeps 0, void). Stops at the first reference `map` cannot
    /// place (outside it, or mapped to 0) and returns it with the id of the type holding it.
    package mutating func renumberReferences(
        from start: TypeID, map: [TypeID], firstID: TypeID
    ) -> (reference: UInt32, referrer: TypeID)? {
        for id in Int(start)..<count {
            for index in 0..<referenceCount(of: id) {
                let slot = referenceSlot(of: id, index)
                let reference = self[slot]
                guard reference != 0 else { continue }
                let position = Int(reference) - Int(firstID)
                guard position >= 0, position < map.count, map[position] != 0 else {
                    return (reference, TypeID(id))
                }
                self[slot] = map[position]
            }
        }
        return nil
    }

    /// Appends a DATASEC named `name` of `size` bytes listing `variables` (type ids here); returns its
    /// id, or `nil` (nothing appended) for more variables than a DATASEC lists (its vlen: 65,535).
    package mutating func appendDataSection(
        named name: ByteString, size: UInt32, variables: [(type: TypeID, offset: UInt32, size: UInt32)]
    ) -> TypeID? {
        guard variables.count <= Int(UInt16.max) else { return nil }
        kinds.append(.dataSection)
        names.append(interner.intern(name))
        infos.append(UInt32(Kind.dataSection.rawValue) << 24 | UInt32(variables.count))
        sizes.append(size)
        for variable in variables {
            words.append(variable.type)
            words.append(variable.offset)
            words.append(variable.size)
        }
        starts.append(words.count)
        return TypeID(kinds.count - 1)
    }

    // The accessors below take ids of types in the table (below `count`): the linker's own.

    /// Type `id`'s kind.
    package func kind(of id: TypeID) -> Kind { kinds[Int(id)] }

    /// Type `id`'s name (empty when anonymous).
    package func name(of id: TypeID) -> ByteString { interner.strings[Int(names[Int(id)])] }

    /// The third header word of type `id`: its size, or the type it refers to.
    package func sizeOrType(of id: TypeID) -> UInt32 { sizes[Int(id)] }

    /// Sets the type VAR, FUNC or other referring type `id` refers to.
    package mutating func setReferencedType(of id: TypeID, to target: TypeID) {
        guard kinds[Int(id)].hasTypeReference else { return }
        sizes[Int(id)] = target
    }

    /// A VAR's linkage (`BTF_VAR_*`) or a FUNC's (its vlen); 0 for other kinds.
    package func linkage(of id: TypeID) -> UInt32 {
        switch kinds[Int(id)] {
        case .variable: starts[Int(id) + 1] > starts[Int(id)] ? word(Int(id), 0) : 0
        case .function: UInt32(vlen(Int(id)))
        default: 0
        }
    }

    /// Sets a VAR's or FUNC's linkage; other kinds stay as they are.
    package mutating func setLinkage(of id: TypeID, to linkage: UInt16) {
        let id = Int(id)
        switch kinds[id] {
        case .variable where starts[id + 1] > starts[id]: words[starts[id]] = UInt32(linkage)
        case .function: infos[id] = infos[id] & ~0xffff | UInt32(linkage)
        default: break
        }
    }

    /// Names parameter `index` of FUNC_PROTO `id` `name`; other kinds and indices past its
    /// parameters stay as they are.
    package mutating func setParameterName(_ index: Int, of id: TypeID, to name: ByteString) {
        let id = Int(id)
        guard id < count, kinds[id] == .functionProto, index >= 0, starts[id] + 2 * index < starts[id + 1] else {
            return
        }
        words[starts[id] + 2 * index] = interner.intern(name)
    }

    /// Checks that every reference names a type, and that no own type refers to a VAR, DATASEC or
    /// DECL_TAG, but DATASECs to their VARs and DECL_TAGs to what they tag: the comparisons would
    /// meet them where no type can be (libbpf fails there, when it compares them), and skipping a
    /// comparison must not skip the error.
    func checkReferenceTargets() throws(BTFError) {
        for id in Int(firstOwnID)..<count {
            let kind = kinds[id]
            func check(_ reference: UInt32) throws(BTFError) {
                let target = Int(reference)
                guard target < count else {
                    throw BTFError(.typeIDOutOfRange(reference, count: count), typeID: TypeID(id))
                }
                let allowed =
                    switch kinds[target] {
                    case _ where kind == .dataSection: true
                    case .dataSection, .declTag: false
                    case .variable: kind == .declTag
                    default: true
                    }
                guard allowed else { throw BTFError(.unexpectedKind(reference, kinds[target]), typeID: TypeID(id)) }
            }
            // In libbpf's visiting order (``referenceSlot(of:_:)``'s), each kind's words by its layout.
            let start = starts[id], end = starts[id + 1]
            switch kind {
            case .struct, .union: for w in stride(from: start + 1, to: end, by: 3) { try check(words[w]) }
            case .dataSection: for w in stride(from: start, to: end, by: 3) { try check(words[w]) }
            case .functionProto:
                try check(sizes[id])
                for w in stride(from: start + 1, to: end, by: 2) { try check(words[w]) }
            case .array:
                try check(words[start])
                try check(words[start + 1])
            default: if kind.hasTypeReference { try check(sizes[id]) }
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
