import BTF
import ELF64

extension BPFLinker {
    /// Whether input `k`'s declaration (BTF `type`) of global `name` agrees with the one global `g`
    /// has (libbpf's `glob_syms_match`): `.maps` definitions field by field, others by BTF shape.
    mutating func checkDeclarationsMatch(
        _ symbol: ByteString, global g: Int, input k: Int, type: TypeID
    ) throws(LinkError) {
        var name: String { String(symbol) }
        let (earlier, earlierType) = globals[g].declaration
        guard let a = inputs[earlier].btf, let b = inputs[k].btf else { throw fail(k, .missingBTF(symbol: name)) }
        let declared = try LinkInput.reading(inputs[k].name) { () throws(BTFError) in try b.type(type) }
        guard declared.kind == .variable || declared.kind == .function else {
            throw fail(k, .mismatch(symbol: name, .notVariableOrFunction(declared.kind)))
        }
        let mismatch: DeclarationMismatch?
        if let section = globals[g].section, sections[section].nameBytes.matches(".maps") {
            mismatch = try mapDefinitionMismatch(name, a, earlierType, b, type, input: k)
        } else {
            var state = comparisons
            comparisons = ComparisonState(budget: 0)  // moved out: its buffers stay unique
            defer { comparisons = state }
            mismatch = try LinkInput.reading(inputs[k].name) { () throws(BTFError) in
                try DeclarationComparison(a, b).mismatch(earlierType, type, state: &state)
            }
        }
        if let mismatch { throw fail(k, .mismatch(symbol: name, mismatch)) }
    }

    /// How two `.maps` variables' definitions differ (libbpf's `map_defs_match`): type, sizes,
    /// key and value types (by shape), entries, flags, NUMA node, pinning and the inner map.
    private mutating func mapDefinitionMismatch(
        _ name: String, _ a: BTF, _ first: TypeID, _ b: BTF, _ second: TypeID, input k: Int
    ) throws(LinkError) -> DeclarationMismatch? {
        func definition(_ btf: BTF, _ variable: TypeID) throws(LinkError) -> MapSpec {
            do {
                let type = try btf.type(variable)
                return try ObjectSpec.btfMapDefinition(btf, typeID: type.referencedType, name: name, sectionIndex: 0)
            } catch {
                throw fail(k, .mismatch(symbol: name, .mapField("definition (\(error))")))
            }
        }
        func compare(_ x: MapSpec, _ y: MapSpec) throws(LinkError) -> DeclarationMismatch? {
            if x.type != y.type { return .mapField("type") }
            if x.keySize != y.keySize { return .mapField("key_size") }
            if (x.keyTypeID == 0) != (y.keyTypeID == 0) { return .mapField("key type") }
            let comparison = DeclarationComparison(a, b)
            var state = comparisons
            comparisons = ComparisonState(budget: 0)  // moved out: its buffers stay unique
            defer { comparisons = state }
            let keyDiffers = try LinkInput.reading(inputs[k].name) { () throws(BTFError) in
                guard x.keyTypeID != 0 else { return false }
                return try comparison.mismatch(x.keyTypeID, y.keyTypeID, state: &state) != nil
            }
            if keyDiffers { return .mapField("key type") }
            if x.valueSize != y.valueSize { return .mapField("value_size") }
            if (x.valueTypeID == 0) != (y.valueTypeID == 0) { return .mapField("value type") }
            let valueDiffers = try LinkInput.reading(inputs[k].name) { () throws(BTFError) in
                guard x.valueTypeID != 0 else { return false }
                return try comparison.mismatch(x.valueTypeID, y.valueTypeID, state: &state) != nil
            }
            if valueDiffers { return .mapField("value type") }
            if x.maxEntries != y.maxEntries { return .mapField("max_entries") }
            if x.flags != y.flags { return .mapField("map_flags") }
            if x.numaNode != y.numaNode { return .mapField("numa_node") }
            if x.pinning != y.pinning { return .mapField("pinning") }
            switch (x.innerMap, y.innerMap) {
            case (nil, nil): return nil
            case let (inner?, other?): return try compare(inner.spec, other.spec)
            default: return .mapField("inner map")
            }
        }
        return try compare(definition(a, first), definition(b, second))
    }
}

/// Compares two declarations' BTF as libbpf's linker does (`glob_sym_btf_matches`): typedefs and
/// qualifiers skipped; names, sizes and linkage compared; through a pointer only the shape (a
/// forward declaration matches a struct of its name); array lengths ignored. A work list and a
/// set of pairs seen replace libbpf's recursion (cycles end, depth costs no stack), and the
/// caller's budget bounds the pairs compared (past it: ``DeclarationMismatch/tooComplex``).
struct DeclarationComparison {
    let a: BTF
    let b: BTF

    init(_ a: BTF, _ b: BTF) {
        self.a = a
        self.b = b
    }

    /// The first difference between `first` (in `a`) and `second` (in `b`), or `nil` when they match;
    /// each pair compared is taken from `state`'s budget.
    func mismatch(
        _ first: TypeID, _ second: TypeID, state: inout ComparisonState
    ) throws(BTFError) -> DeclarationMismatch? {
        state.startComparison()
        state.pending.append(DeclarationPair(first: first, second: second, exact: true))
        while let pair = state.pending.popLast() {
            guard state.insert(pair) else { continue }
            state.budget -= 1
            guard state.budget >= 0 else { return .tooComplex }
            let x = try a.resolve(pair.first), y = try b.resolve(pair.second)
            if x == 0 || y == 0 {
                if x != y { return .kinds(x == 0 ? nil : try a.type(x).kind, y == 0 ? nil : try b.type(y).kind) }
                continue
            }
            let s = try a.type(x), t = try b.type(y)
            if !pair.exact, (s.kind == .forward) != (t.kind == .forward) {
                guard s.name == t.name else { return .names(String(s.name), String(t.name)) }
                let (forward, complete) = s.kind == .forward ? (s, t) : (t, s)
                guard complete.kind == (forward.kindFlag ? .union : .struct) else { return .forward(complete.kind) }
                continue
            }
            guard s.kind == t.kind else { return .kinds(s.kind, t.kind) }
            switch s.kind {
            case .struct, .union, .enum, .enum64, .forward, .function, .variable:
                guard s.name == t.name else { return .names(String(s.name), String(t.name)) }
            default: break
            }
            switch s.kind {
            case .forward:
                continue
            case .int, .float, .enum, .enum64:
                guard s.size == t.size else { return .sizes(s.size, t.size) }
            case .pointer:
                state.pending.append(DeclarationPair(first: s.referencedType, second: t.referencedType, exact: false))
            case .array:
                state.pending.append(
                    DeclarationPair(first: s.arrayInfo.element, second: t.arrayInfo.element, exact: pair.exact))
            case .function, .variable:
                guard (s.linkage == 0) == (t.linkage == 0) else { return .linkage }
                state.pending.append(
                    DeclarationPair(first: s.referencedType, second: t.referencedType, exact: pair.exact))
            case .struct, .union:
                guard pair.exact else { continue }
                guard s.vlen == t.vlen else { return .memberCount(s.vlen, t.vlen) }
                for (index, (m, n)) in zip(s.members, t.members).enumerated() {
                    guard m.name == n.name else {
                        return .member(index: index, name: String(m.name), what: "named '\(n.name)' in the other")
                    }
                    guard m.bitOffset == n.bitOffset, m.bitfieldSize == n.bitfieldSize else {
                        return .member(index: index, name: String(m.name), what: "at another offset")
                    }
                    state.pending.append(DeclarationPair(first: m.type, second: n.type, exact: true))
                }
            case .functionProto:
                guard s.vlen == t.vlen else { return .parameterCount(s.vlen, t.vlen) }
                for (p, q) in zip(s.parameters, t.parameters) {
                    state.pending.append(DeclarationPair(first: p.type, second: q.type, exact: pair.exact))
                }
                state.pending.append(
                    DeclarationPair(first: s.referencedType, second: t.referencedType, exact: pair.exact))
            default:
                return .unsupported(s.kind)
            }
        }
        return nil
    }
}

/// Two types compared, and whether exactly (or, behind a pointer, by shape only).
struct DeclarationPair: Hashable {
    let first: TypeID
    let second: TypeID
    let exact: Bool

    /// The ids and flag in one word, mixed with the table's (per-process random) seed by
    /// splitmix64's finalizer: no `Hasher` per pair.
    func _rawHashValue(seed: Int) -> Int {
        var x = UInt64(first) << 32 | UInt64(second)
        x ^= UInt64(UInt(bitPattern: seed)) ^ (exact ? 0x9e37_79b9_7f4a_7c15 : 0)
        x = (x ^ (x >> 30)) &* 0xbf58_476d_1ce4_e5b9
        x = (x ^ (x >> 27)) &* 0x94d0_49bb_1331_11eb
        return Int(truncatingIfNeeded: x ^ (x >> 31))
    }
}

/// What declaration comparisons share over one link: the pairs they may still compare (a bound
/// from the inputs' sizes, so that many declarations of one entangled type cannot make the link
/// quadratic), and their work list and pairs seen, kept to be reused (no allocation per comparison).
struct ComparisonState {
    var budget: Int
    fileprivate var pending: [DeclarationPair] = []
    /// The pairs seen: a short list searched in place (a declaration's BTF is a few types), a set
    /// once it passes 16 pairs (a shape of many types stays linear).
    private var few: [DeclarationPair] = []
    private var many: Set<DeclarationPair> = []

    init(budget: Int) { self.budget = budget }

    /// Empties the work list and the pairs seen, keeping their memory.
    fileprivate mutating func startComparison() {
        pending.removeAll(keepingCapacity: true)
        few.removeAll(keepingCapacity: true)
        if !many.isEmpty { many.removeAll(keepingCapacity: true) }
    }

    /// Whether `pair` is new in this comparison (then it is added).
    fileprivate mutating func insert(_ pair: DeclarationPair) -> Bool {
        if many.isEmpty {
            if few.contains(pair) { return false }
            if few.count < 16 {
                few.append(pair)
                return true
            }
            many = Set(few)
        }
        return many.insert(pair).inserted
    }
}
