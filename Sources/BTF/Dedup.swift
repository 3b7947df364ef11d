import ELF64

extension BTF {
    /// This BTF's own types deduplicated, with libbpf's `btf__dedup` semantics (see
    /// ``deduplicating(_:base:)``); types of a base stay where they are and own types equal to one
    /// of them become it.
    public func deduplicated() throws(BTFError) -> DeduplicatedBTF {
        try Self.deduplicating([self], base: base)
    }

    /// The own types of several BTFs (objects compiled separately), concatenated in order and
    /// deduplicated together, as libbpf's `btf__add_btf` then `btf__dedup` do: equal types become one
    /// (strings, primitives, then structs and unions compared as graphs, cycles included, a forward
    /// declaration equal to the one complete type of its name, then references); ids are given anew
    /// in input order. Each input must have `base` as its base (or none, without `base`).
    ///
    /// Every walk keeps its own stack (no recursion on input depth) and visits each type pair a
    /// bounded number of times; malformed BTF (a reference loop not broken by a struct, a member of
    /// a kind that cannot be one) is a ``BTFError``.
    public static func deduplicating(_ inputs: [BTF], base: BTF? = nil) throws(BTFError) -> DeduplicatedBTF {
        var types = DedupTypes()
        types.reserve(for: (base.map { [$0] } ?? []) + inputs)
        if let base {
            try types.append(base, shift: 0, keepBelow: 0)
            types.firstOwnID = base.endID
        }
        var offsets: [UInt32] = []
        for input in inputs {
            guard input.base === base || (input.base == nil && base == nil) else {
                throw BTFError(.nestedBase)
            }
            let start = UInt32(types.count)
            offsets.append(start)
            try types.append(input, shift: start - input.firstID, keepBelow: input.firstID)
        }
        let counts = inputs.map(\.ownTypeCount)
        return try finish(consume types, stringBase: UInt32(truncatingIfNeeded: base?.strings.size ?? 0)) { newIDs in
            counts.enumerated().map { index, count in (0..<count).map { newIDs[Int(offsets[index]) + $0] } }
        }
    }

    /// Deduplicates types gathered by a caller in the package (the static linker, which appends its
    /// inputs' records and DATASECs itself), their names placed in `names` (a string table the
    /// caller keeps writing: its offsets stay valid) as the kept types meet them; the result's
    /// strings are `names`' bytes then. The one type map is by `id - 1`.
    package static func deduplicating(
        _ types: consuming DedupTypes, names: inout StringTableBuilder
    ) throws(BTFError) -> DeduplicatedBTF {
        try types.checkReferenceTargets()
        var dedup = Deduplication(consume types)
        try dedup.run()
        let (words, count) = try dedup.wireForm { names.offset(of: $0) }
        return DeduplicatedBTF(
            typeCount: count, typeMaps: [Array(dedup.newIDs.dropFirst())], words: words, strings: names.bytes,
            stringBase: 0)
    }

    private static func finish(
        _ types: consuming DedupTypes, stringBase: UInt32, typeMaps: ([UInt32]) -> [[TypeID]]
    ) throws(BTFError) -> DeduplicatedBTF {
        try types.checkReferenceTargets()
        var dedup = Deduplication(consume types)
        try dedup.run()
        let maps = typeMaps(dedup.newIDs)
        var strings: [UInt8] = [0]
        strings.reserveCapacity(dedup.stringBytes)
        let (words, count) = try dedup.wireForm { name in
            defer {
                strings.append(contentsOf: name.utf8)
                strings.append(0)
            }
            return UInt32(strings.count)
        }
        return DeduplicatedBTF(typeCount: count, typeMaps: maps, words: words, strings: strings, stringBase: stringBase)
    }
}

/// libbpf's deduplication, step by step, on ``DedupTypes``.
struct Deduplication {
    private var types: DedupTypes
    /// Each type's representative: itself, another type, or not yet decided.
    private var map: [UInt32]
    /// The hypothetical equivalences of one struct comparison (canonical type → candidate).
    private var hypothetical: [UInt32]
    /// The canonical types paired in `hypothetical`, `hypotheticalList[0..<hypotheticalCount]` (each at
    /// most once, so its capacity is the type count: no growth, no allocation per comparison).
    private var hypotheticalList: [UInt32]
    private var hypotheticalCount = 0
    /// The pairs an equivalence walk has still to visit (kept between walks: no allocation per walk).
    private let pending: PairStack
    /// The reference walk's stack: (type, next reference to visit), kept between walks.
    private var referenceStack: [(id: Int, next: Int)] = []
    private var adjustCanonical = false
    /// Representatives by signature hash: the newest of each hash, then each one's older namesake
    /// in `olderInChain` (libbpf visits candidates newest first).
    private var table: HashHeads
    private var olderInChain: [UInt32]
    /// libbpf's table's entries and buckets, whose growth decides the candidates' order.
    private var libbpfEntries = 0, libbpfCapacity = 0
    /// After ``run()``: each old id's new id.
    private(set) var newIDs: [TypeID] = []

    private static let unprocessed = UInt32.max
    private static let inProgress = UInt32.max - 1

    init(_ types: DedupTypes) {
        self.types = types
        map = (0..<types.count).map { id in
            id == 0 || id < Int(types.firstOwnID) || types.kinds[id] == .variable
                || types.kinds[id] == .dataSection ? UInt32(id) : Self.unprocessed
        }
        hypothetical = [UInt32](filling: types.count, with: Self.unprocessed)
        olderInChain = [UInt32](filling: types.count, with: 0)
        table = HashHeads(capacity: types.count)
        hypotheticalList = [UInt32](filling: types.count, with: 0)
        // A walk pushes a type's references only when it pairs that type for the first time.
        pending = PairStack(bound: types.count + types.words.count + 1)
    }

    private mutating func addToTable(_ hash: Int, _ id: UInt32) {
        // libbpf's table doubles (from 4 buckets) before an insertion that would fill it past 3/4,
        // and re-inserting each bucket at the new buckets' heads reverses every chain of equal
        // hashes: mirrored here, candidates are met in libbpf's order.
        if libbpfCapacity == 0 || (libbpfEntries + 1) * 4 / 3 > libbpfCapacity {
            libbpfCapacity = max(4, 2 * libbpfCapacity)
            reverseChains()
        }
        libbpfEntries += 1
        olderInChain[Int(id)] = table.insert(hash, id)
    }

    private mutating func reverseChains() {
        var heads = table
        table = HashHeads()  // moved out, so the chains can be rewritten while its heads are
        heads.updateEach { head in
            var previous: UInt32 = 0, current = head
            while current != 0 {
                (olderInChain[Int(current)], previous, current) = (previous, current, olderInChain[Int(current)])
            }
            return previous
        }
        table = heads
    }

    mutating func run() throws(BTFError) {
        let own = Int(types.firstOwnID)..<types.count
        for id in 1..<own.lowerBound { try addBaseType(id) }
        // Each phase walks only its own kinds, in id order (the others would return at once): the
        // primitives, then structs and unions, then the reference kinds. VARs and DATASECs are
        // their own representatives from the start.
        var order: [UInt32] = []  // ids below the type count: 32 bits
        order.reserveCapacity(own.count)
        var ends = (primitives: 0, aggregates: 0)
        for id in own {
            switch types.kinds[id] {
            case .int, .enum, .enum64, .forward, .float: order.append(UInt32(truncatingIfNeeded: id))
            default: break
            }
        }
        ends.primitives = order.count
        for id in own where types.kinds[id] == .struct || types.kinds[id] == .union {
            order.append(UInt32(truncatingIfNeeded: id))
        }
        ends.aggregates = order.count
        for id in own where Self.isReference(types.kinds[id]) { order.append(UInt32(truncatingIfNeeded: id)) }
        for id in order[..<ends.primitives] { primitive(Int(id)) }
        for id in order[ends.primitives..<ends.aggregates] { try structure(Int(id)) }
        resolveForwards()
        for id in order[ends.aggregates...] { _ = try reference(id) }
        // What only the matching needed goes before the output is made (the peak of memory).
        (table, olderInChain, hypothetical, hypotheticalList) = (HashHeads(), [], [], [])
        pending.release()
        compact()
    }

    // MARK: Signatures (libbpf's hashes and equalities)

    private static func combine(_ h: Int, _ value: UInt32) -> Int { h &* 31 &+ Int(value) }

    private func hashCommon(_ id: Int) -> Int {
        Self.combine(Self.combine(Self.combine(0, types.names[id]), types.infos[id]), types.sizes[id])
    }
    private func hashIntTag(_ id: Int) -> Int { Self.combine(hashCommon(id), types.word(id, 0)) }
    private func hashEnum(_ id: Int) -> Int { Self.combine(0, types.names[id]) }
    /// libbpf's struct hash (name, size, member names and offsets) refined by what each member's type
    /// shares with every type equivalent to it (``memberSignature(_:)``): structs that only differ
    /// there (anonymous ones sharing member names, libbpf's costliest comparisons) never meet.
    private func hashStruct(_ id: Int) -> Int {
        var h = hashCommon(id)
        for member in stride(from: 0, to: types.vlen(id) * 3, by: 3) {
            h = Self.combine(Self.combine(h, types.word(id, member)), types.word(id, member + 2))
            h = Self.combine(h, memberSignature(types.word(id, member + 1)))
        }
        return h
    }

    /// The names and kind classes along a member type's first references (qualifiers, pointers,
    /// typedefs, arrays with their lengths), up to the first other type: equivalent types agree on
    /// them, as ``isEquivalent(_:_:)`` pairs types only of equal names, of the same kind (a forward
    /// declaration standing for a struct or union, an enum for an enum64) and arrays of equal lengths.
    private func memberSignature(_ type: UInt32) -> UInt32 {
        var signature: UInt32 = 0
        var id = Int(type)
        for _ in 0..<4 {
            let kind = types.kinds[id]
            let kindClass: UInt32 =
                switch kind {
                case .struct, .union, .forward: 0
                case .enum, .enum64: 64
                default: UInt32(kind.rawValue)
                }
            signature = (signature &* 31 &+ types.names[id]) &* 31 &+ kindClass
            switch kind {
            case .pointer, .const, .volatile, .restrict, .typedef, .typeTag: id = Int(types.sizes[id])
            case .array:
                signature = signature &* 31 &+ types.word(id, 2)
                id = Int(types.word(id, 1))
            default: return signature
            }
        }
        return signature
    }
    private func hashArray(_ id: Int) -> Int { types.trailing(id).reduce(hashCommon(id), Self.combine) }
    private func hashFunctionProto(_ id: Int) -> Int { types.trailing(id).reduce(hashCommon(id), Self.combine) }

    private func equalCommon(_ a: Int, _ b: Int) -> Bool {
        types.names[a] == types.names[b] && types.infos[a] == types.infos[b] && types.sizes[a] == types.sizes[b]
    }
    private func equalIntTag(_ a: Int, _ b: Int) -> Bool { equalCommon(a, b) && types.word(a, 0) == types.word(b, 0) }
    private func equalWords(_ a: Int, _ b: Int) -> Bool { equalCommon(a, b) && types.trailing(a) == types.trailing(b) }
    private func isEnumForward(_ id: Int) -> Bool {
        (types.kinds[id] == .enum || types.kinds[id] == .enum64) && types.vlen(id) == 0
    }
    private func compatibleEnum(_ a: Int, _ b: Int) -> Bool {
        if !isEnumForward(a) && !isEnumForward(b) { return equalWords(a, b) }
        let anyEnum = { (id: Int) in self.types.kinds[id] == .enum || self.types.kinds[id] == .enum64 }
        return types.names[a] == types.names[b] && anyEnum(a) && anyEnum(b)
    }
    /// Names and offsets of members equal (their types aside).
    private func shallowEqualStruct(_ a: Int, _ b: Int) -> Bool {
        guard equalCommon(a, b) else { return false }
        for member in stride(from: 0, to: types.vlen(a) * 3, by: 3)
        where types.word(a, member) != types.word(b, member) || types.word(a, member + 2) != types.word(b, member + 2) {
            return false
        }
        return true
    }
    private func compatibleArray(_ a: Int, _ b: Int) -> Bool {
        equalCommon(a, b) && types.word(a, 2) == types.word(b, 2)
    }
    /// Names and parameter names equal (return and parameter types aside).
    private func compatibleFunctionProto(_ a: Int, _ b: Int) -> Bool {
        guard types.names[a] == types.names[b], types.infos[a] == types.infos[b] else { return false }
        for parameter in stride(from: 0, to: types.vlen(a) * 2, by: 2)
        where types.word(a, parameter) != types.word(b, parameter) {
            return false
        }
        return true
    }

    /// The newest representative of signature `hash` that `matches`, the older ones after it
    /// (the chain is walked in place: nothing retained, nothing allocated).
    private func firstCandidate(_ hash: Int, where matches: (UInt32) -> Bool) -> UInt32? {
        var candidate = table[hash]
        while candidate != 0 {
            if matches(candidate) { return candidate }
            candidate = olderInChain[Int(candidate)]
        }
        return nil
    }

    // MARK: Steps

    private mutating func addBaseType(_ id: Int) throws(BTFError) {
        let hash: Int
        switch types.kinds[id] {
        case .variable, .dataSection: return
        case .const, .volatile, .restrict, .pointer, .forward, .typedef, .function, .float, .typeTag:
            hash = hashCommon(id)
        case .int, .declTag: hash = hashIntTag(id)
        case .enum, .enum64: hash = hashEnum(id)
        case .struct, .union: hash = hashStruct(id)
        case .array: hash = hashArray(id)
        case .functionProto: hash = hashFunctionProto(id)
        }
        addToTable(hash, UInt32(id))
    }

    private mutating func primitive(_ id: Int) {
        var new = UInt32(id)
        let hash: Int
        switch types.kinds[id] {
        case .int:
            hash = hashIntTag(id)
            new = firstCandidate(hash) { equalIntTag(id, Int($0)) } ?? new
        case .enum, .enum64:
            hash = hashEnum(id)
            var candidate = table[hash]
            while candidate != 0 {
                if equalWords(id, Int(candidate)) {
                    new = candidate
                    break
                }
                if compatibleEnum(id, Int(candidate)) {
                    if isEnumForward(id) {
                        new = candidate
                        break
                    }
                    map[Int(candidate)] = UInt32(id)  // a forward enum becomes the full one
                }
                candidate = olderInChain[Int(candidate)]
            }
        case .forward, .float:
            hash = hashCommon(id)
            new = firstCandidate(hash) { equalCommon(id, Int($0)) } ?? new
        default:
            return
        }
        map[id] = new
        if new == UInt32(id) { addToTable(hash, new) }
    }

    private func isMapped(_ id: UInt32) -> Bool { map[Int(id)] < Self.inProgress }

    private func resolve(_ id: UInt32) -> UInt32 {
        var id = id
        var steps = 0
        while isMapped(id), map[Int(id)] != id, steps < map.count {
            id = map[Int(id)]
            steps += 1
        }
        return id
    }

    private func resolveForward(_ id: UInt32) -> UInt32 {
        guard types.kinds[Int(id)] == .forward else { return id }
        let resolved = resolve(id)
        return types.kinds[Int(resolved)] == .forward ? id : resolved
    }

    private mutating func structure(_ id: Int) throws(BTFError) {
        guard map[id] == Self.unprocessed, types.kinds[id] == .struct || types.kinds[id] == .union else { return }
        let hash = hashStruct(id)
        var new = UInt32(id)
        var candidate = table[hash]
        while candidate != 0 {
            defer { candidate = olderInChain[Int(candidate)] }
            guard shallowEqualStruct(id, Int(candidate)) else { continue }
            clearHypothetical()
            guard try isEquivalent(UInt32(id), candidate) else { continue }
            mergeHypothetical()
            if adjustCanonical { continue }
            new = candidate
            break
        }
        map[id] = new
        if new == UInt32(id) { addToTable(hash, new) }
    }

    private mutating func clearHypothetical() {
        for index in 0..<hypotheticalCount { hypothetical[Int(hypotheticalList[index])] = Self.unprocessed }
        hypotheticalCount = 0
        adjustCanonical = false
    }

    /// Whether the type graphs from `candidate` and `canonical` are equivalent, pairing types on the
    /// way in the hypothetical map (libbpf's `btf_dedup_is_equiv`, in the same pre-order, on a stack).
    private mutating func isEquivalent(_ candidate: UInt32, _ canonical: UInt32) throws(BTFError) -> Bool {
        pending.clear()
        pending.push(candidate, canonical)
        while let (candidate, canonical) = pending.pop() {
            if resolve(candidate) == resolve(canonical) { continue }
            let canonical = resolveForward(canonical)
            let earlier = hypothetical[Int(canonical)]
            if earlier != Self.unprocessed {
                if earlier == candidate || identicalArrays(earlier, candidate) || identicalStructs(earlier, candidate) {
                    continue
                }
                return false
            }
            hypothetical[Int(canonical)] = candidate
            hypotheticalList[hypotheticalCount] = canonical
            hypotheticalCount += 1
            let a = Int(candidate), b = Int(canonical)
            guard types.names[a] == types.names[b] else { return false }
            let kindA = types.kinds[a], kindB = types.kinds[b]
            if (kindA == .forward || kindB == .forward) && kindA != kindB {
                let (real, forwardKind): (Kind, Kind)
                if kindA == .forward {
                    (real, forwardKind) = (kindB, types.kindFlag(a) ? .union : .struct)
                } else {
                    (real, forwardKind) = (kindA, types.kindFlag(b) ? .union : .struct)
                    if forwardKind == real && canonical < types.firstOwnID { adjustCanonical = true }
                }
                if forwardKind != real { return false }
                continue
            }
            guard kindA == kindB else { return false }
            switch kindA {
            case .int: if !equalIntTag(a, b) { return false }
            case .enum, .enum64: if !compatibleEnum(a, b) { return false }
            case .forward, .float: if !equalCommon(a, b) { return false }
            case .const, .volatile, .restrict, .pointer, .typedef, .function, .typeTag:
                guard types.infos[a] == types.infos[b] else { return false }
                pending.push(types.sizes[a], types.sizes[b])
            case .array:
                // The index type is visited first, then the element type: pushed in reverse.
                guard compatibleArray(a, b) else { return false }
                pending.push(types.word(a, 0), types.word(b, 0))
                pending.push(types.word(a, 1), types.word(b, 1))
            case .struct, .union, .functionProto:
                if kindA == .functionProto ? !compatibleFunctionProto(a, b) : !shallowEqualStruct(a, b) {
                    return false
                }
                // Members (the return type, then parameters) in order: pushed in reverse.
                for index in (0..<types.referenceCount(of: a)).reversed() {
                    pending.push(types[types.referenceSlot(of: a, index)], types[types.referenceSlot(of: b, index)])
                }
            case .variable, .dataSection, .declTag:
                throw BTFError(.unexpectedKind(candidate, kindA))
            }
        }
        return true
    }

    private func identicalArrays(_ a: UInt32, _ b: UInt32) -> Bool {
        types.kinds[Int(a)] == .array && types.kinds[Int(b)] == .array && equalWords(Int(a), Int(b))
    }

    /// Structs (unions) equal down to their member type ids, arrays and nested structs compared the
    /// same way; a pair met again on the way (a cycle only hostile BTF has) counts as identical.
    private func identicalStructs(_ a: UInt32, _ b: UInt32) -> Bool {
        var pairs = [(a, b)]
        var seen: Set<UInt64> = []
        while let (a, b) = pairs.popLast() {
            guard seen.insert(UInt64(a) << 32 | UInt64(b)).inserted else { continue }
            let x = Int(a), y = Int(b)
            guard types.kinds[x] == .struct || types.kinds[x] == .union, types.kinds[x] == types.kinds[y],
                shallowEqualStruct(x, y)
            else { return false }
            for member in stride(from: 1, to: types.vlen(x) * 3, by: 3) {
                let p = types.word(x, member), q = types.word(y, member)
                if p == q || identicalArrays(p, q) { continue }
                pairs.append((p, q))
            }
        }
        return true
    }

    private mutating func mergeHypothetical() {
        for index in 0..<hypotheticalCount {
            let canonical = hypotheticalList[index]
            let target = resolve(hypothetical[Int(canonical)])
            let resolved = resolve(canonical)
            let targetKind = types.kinds[Int(target)], canonicalKind = types.kinds[Int(resolved)]
            if targetKind != .forward && canonicalKind == .forward { map[Int(resolved)] = target }
            if adjustCanonical { continue }
            if targetKind == .forward && canonicalKind != .forward { map[Int(target)] = resolved }
            if targetKind == .struct || targetKind == .union, canonicalKind != .forward, isMapped(resolved),
                !isMapped(target)
            {
                map[Int(target)] = resolved
            }
        }
    }

    /// A forward declaration becomes the one struct (union) of its name and kind, when there is one.
    private mutating func resolveForwards() {
        let own = Int(types.firstOwnID)..<types.count
        guard own.contains(where: { types.kinds[$0] == .forward && map[$0] == UInt32($0) }) else { return }
        // Name id → the only representative struct/union of it, 0 for none, `unprocessed` for several
        // (names are dense ids: an array, no hashing).
        var byName = [UInt32](filling: types.strings.count, with: 0)
        for id in 1..<types.count where types.kinds[id] == .struct || types.kinds[id] == .union {
            guard map[id] == UInt32(id) else { continue }
            let name = Int(types.names[id])
            byName[name] = byName[name] == 0 ? UInt32(id) : Self.unprocessed
        }
        for id in own where types.kinds[id] == .forward && map[id] == UInt32(id) {
            let candidate = byName[Int(types.names[id])]
            guard candidate != 0, candidate != Self.unprocessed else { continue }
            let wanted: Kind = types.kindFlag(id) ? .union : .struct
            if types.kinds[Int(candidate)] == wanted { map[id] = candidate }
        }
    }

    /// Deduplicates a reference type after what it refers to (libbpf's `btf_dedup_ref_type`, its
    /// recursion on a stack): returns the representative.
    private mutating func reference(_ root: UInt32) throws(BTFError) -> UInt32 {
        if let done = try enter(root) { return done }
        // Most reference types refer only to types decided before them: no walk.
        switch types.kinds[Int(root)] {
        case .array, .functionProto:
            let id = Int(root), count = types.referenceCount(of: id)
            if (0..<count).allSatisfy({ isMapped(types[types.referenceSlot(of: id, $0)]) }) {
                for index in 0..<count {
                    let slot = types.referenceSlot(of: id, index)
                    types[slot] = resolve(types[slot])
                }
                return finishReference(id)
            }
        default:
            let child = types.sizes[Int(root)]
            if isMapped(child) {
                types.sizes[Int(root)] = resolve(child)
                return finishReference(Int(root))
            }
        }
        var stack: [(id: Int, next: Int)] = []
        swap(&stack, &referenceStack)  // the walks share one buffer: no allocation per walk
        defer { swap(&stack, &referenceStack) }
        if !stack.isEmpty { stack.removeAll(keepingCapacity: true) }  // left by a walk that threw
        stack.append((Int(root), 0))
        var result = root
        while let top = stack.last {
            if top.next < types.referenceCount(of: top.id) {
                stack[stack.count - 1].next += 1
                let slot = types.referenceSlot(of: top.id, top.next)
                let child = types[slot]
                if let done = try enter(child) {
                    types[slot] = done
                } else {
                    stack.append((Int(child), 0))
                }
                continue
            }
            stack.removeLast()
            result = finishReference(top.id)
            if let parent = stack.last { types[types.referenceSlot(of: parent.id, parent.next - 1)] = result }
        }
        return result
    }

    /// A reference type's representative if known; nil after marking it in progress (to be finished).
    private mutating func enter(_ id: UInt32) throws(BTFError) -> UInt32? {
        if map[Int(id)] == Self.inProgress { throw BTFError(.referenceLoop(id)) }
        if isMapped(id) { return resolve(id) }
        guard Self.isReference(types.kinds[Int(id)]) else { throw BTFError(.unexpectedKind(id, types.kinds[Int(id)])) }
        map[Int(id)] = Self.inProgress
        return nil
    }

    /// The kinds deduplicated as references, after what they refer to.
    private static func isReference(_ kind: Kind) -> Bool {
        switch kind {
        case .const, .volatile, .restrict, .pointer, .typedef, .function, .typeTag, .declTag, .array, .functionProto:
            true
        default: false
        }
    }

    private mutating func finishReference(_ id: Int) -> UInt32 {
        let hash: Int
        switch types.kinds[id] {
        case .declTag: hash = hashIntTag(id)
        case .array: hash = hashArray(id)
        case .functionProto: hash = hashFunctionProto(id)
        default: hash = hashCommon(id)
        }
        let new =
            firstCandidate(hash) { candidate in
                switch types.kinds[id] {
                case .declTag: equalIntTag(id, Int(candidate))
                case .array, .functionProto: equalWords(id, Int(candidate))
                default: equalCommon(id, Int(candidate))
                }
            } ?? UInt32(id)
        map[id] = new
        if new == UInt32(id) { addToTable(hash, new) }
        return new
    }

    /// New ids for the representatives, in id order, and every type's new id: its representative's.
    /// (References are rewritten to them as ``wireForm(placing:)`` writes the kept types.)
    private mutating func compact() {
        var next = types.firstOwnID
        newIDs = (0..<types.count).map { id in
            if id < Int(types.firstOwnID) { return TypeID(id) }
            guard map[id] == UInt32(id) else { return Self.unprocessed }
            defer { next += 1 }
            return next
        }
        // A base type's too: a base forward an own struct completes (split BTF) becomes it.
        for id in 1..<types.count where map[id] != UInt32(id) {
            newIDs[id] = newIDs[Int(resolve(UInt32(id)))]
        }
    }

    /// A reference's new id; a type left without one (in a loop no struct breaks) is an error.
    private func newID(_ reference: UInt32) throws(BTFError) -> UInt32 {
        let new = newIDs[Int(reference)]
        guard new != Self.unprocessed else { throw BTFError(.referenceLoop(reference)) }
        return new
    }

    /// The kept types in wire form: their words (references as new ids, each name as the offset
    /// `place` gives it, asked once per name, in first-use order) and how many types there are.
    func wireForm(placing place: (ByteString) -> UInt32) throws(BTFError) -> (words: [UInt32], count: Int) {
        var offsets = [UInt32](filling: types.strings.count, with: .max)
        offsets[0] = 0
        func offset(_ name: UInt32) -> UInt32 {
            let known = offsets[Int(name)]
            if known != .max { return known }
            let at = place(types.strings[Int(name)])
            offsets[Int(name)] = at
            return at
        }
        var words: [UInt32] = []
        words.reserveCapacity(types.words.count + 3 * (types.count - Int(types.firstOwnID)))
        var count = 0
        for id in Int(types.firstOwnID)..<types.count where map[id] == UInt32(id) {
            count += 1
            let kind = types.kinds[id]
            words.append(offset(types.names[id]))
            words.append(types.infos[id])
            words.append(kind.hasTypeReference ? try newID(types.sizes[id]) : types.sizes[id])
            // The words after the header, entry by entry in the kind's layout (as appended).
            var w = types.starts[id]
            let end = types.starts[id + 1]
            switch kind {
            case .struct, .union:  // name, type, offset
                while w < end {
                    words.append(offset(types.words[w]))
                    words.append(try newID(types.words[w + 1]))
                    words.append(types.words[w + 2])
                    w += 3
                }
            case .enum:  // name, value
                while w < end {
                    words.append(offset(types.words[w]))
                    words.append(types.words[w + 1])
                    w += 2
                }
            case .enum64:  // name, low, high
                while w < end {
                    words.append(offset(types.words[w]))
                    words.append(types.words[w + 1])
                    words.append(types.words[w + 2])
                    w += 3
                }
            case .functionProto:  // name, type
                while w < end {
                    words.append(offset(types.words[w]))
                    words.append(try newID(types.words[w + 1]))
                    w += 2
                }
            case .dataSection:  // type, offset, size
                while w < end {
                    words.append(try newID(types.words[w]))
                    words.append(types.words[w + 1])
                    words.append(types.words[w + 2])
                    w += 3
                }
            case .array:  // element type, index type, count
                words.append(try newID(types.words[w]))
                words.append(try newID(types.words[w + 1]))
                words.append(types.words[w + 2])
            default:  // values only (INT, VAR, DECL_TAG: one word)
                while w < end {
                    words.append(types.words[w])
                    w += 1
                }
            }
        }
        return (words, count)
    }

    /// The bytes of all names with their NULs: what a string section of them takes at most.
    var stringBytes: Int { types.stringBytes }
}

/// Signature hash → the newest type added with it: open addressing over a power-of-two table
/// (no per-entry allocation, and the signature is hashed once, by libbpf's own mixing).
struct HashHeads {
    private var keys: [Int] = []
    private var values: [UInt32] = []
    /// The slots in use, in the order filled: what ``updateEach(_:)`` visits (not every slot).
    private var occupied: [UInt32] = []
    /// The per-process secret mixed into probe starts, read once per table (a static read costs a
    /// call to its lazy initialiser each time).
    private let secret = NameHash.Key.process.k1

    init() {}

    /// A table that holds `count` entries without growing.
    init(capacity count: Int) {
        var capacity = 16
        while capacity * 3 < count * 4 + 4 { capacity *= 2 }
        keys = [Int](filling: capacity, with: 0)
        values = [UInt32](filling: capacity, with: 0)
        occupied.reserveCapacity(count)
    }

    /// The newest id with `hash`, or 0.
    subscript(hash: Int) -> UInt32 {
        guard !keys.isEmpty else { return 0 }
        var slot = start(hash)
        while values[slot] != 0 {
            if keys[slot] == hash { return values[slot] }
            slot = (slot + 1) & (keys.count - 1)
        }
        return 0
    }

    /// Replaces each hash's newest id by `transform(id)`.
    mutating func updateEach(_ transform: (UInt32) -> UInt32) {
        for slot in occupied { values[Int(slot)] = transform(values[Int(slot)]) }
    }

    /// Records `id` as the newest of `hash`; returns the previous newest (0: none).
    mutating func insert(_ hash: Int, _ id: UInt32) -> UInt32 {
        if (occupied.count + 1) * 4 > keys.count * 3 { grow() }
        var slot = start(hash)
        while values[slot] != 0 {
            if keys[slot] == hash {
                defer { values[slot] = id }
                return values[slot]
            }
            slot = (slot + 1) & (keys.count - 1)
        }
        keys[slot] = hash
        values[slot] = id
        occupied.append(UInt32(truncatingIfNeeded: slot))  // below the capacity: a 32-bit count
        return 0
    }

    /// Where probing starts: the hash mixed with a per-process secret (splitmix64's finalizer), so
    /// that signatures crafted to share a probe run cannot be computed offline (an unkeyed start let
    /// 40,000 crafted INTs take 2 s).
    private func start(_ hash: Int) -> Int {
        var x = UInt64(bitPattern: Int64(hash)) ^ secret
        x = (x ^ (x >> 30)) &* 0xbf58_476d_1ce4_e5b9
        x = (x ^ (x >> 27)) &* 0x94d0_49bb_1331_11eb
        return Int(truncatingIfNeeded: x ^ (x >> 31)) & (keys.count - 1)
    }

    private mutating func grow() {
        let old = occupied.map { (keys[Int($0)], values[Int($0)]) }
        let capacity = max(16, keys.count * 2)
        keys = [Int](filling: capacity, with: 0)
        values = [UInt32](filling: capacity, with: 0)
        occupied.removeAll(keepingCapacity: true)
        for (key, value) in old { _ = insert(key, value) }
    }
}

/// A stack of type pairs that grows (doubling) up to a fixed bound, pushed and popped without
/// checks beyond that bound: memory follows the deepest walk, not the worst case.
final class PairStack {
    private var base: UnsafeMutablePointer<(UInt32, UInt32)>
    private var capacity: Int
    private let bound: Int
    private var count = 0

    /// A stack that never holds more than `bound` pairs.
    init(bound: Int) {
        self.bound = bound
        capacity = min(bound, 64)
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Gives the memory back; the stack holds nothing after.
    func release() {
        base.deallocate()
        base = .allocate(capacity: 1)
        (capacity, count) = (1, 0)
    }

    func push(_ a: UInt32, _ b: UInt32) {
        if count == capacity { grow() }
        (base + count).initialize(to: (a, b))
        count += 1
    }

    @inline(never)
    private func grow() {
        precondition(count < bound, "pair stack past its bound")
        let larger = min(bound, capacity * 2)
        let moved = UnsafeMutablePointer<(UInt32, UInt32)>.allocate(capacity: larger)
        moved.moveInitialize(from: base, count: count)
        base.deallocate()
        (base, capacity) = (moved, larger)
    }

    func pop() -> (UInt32, UInt32)? {
        guard count > 0 else { return nil }
        count -= 1
        return base[count]
    }

    func clear() { count = 0 }
}
