extension BTF {
    /// How far reference chains are followed before they count as a loop (libbpf uses the same bound).
    public static let maximumDepth = 32

    /// The size of a pointer in this BTF's target: 8 for BPF and 64-bit kernels.
    public var pointerSize: Int { 8 }

    /// Follows typedefs, qualifiers and type tags to the type they name; 0 stays `void`.
    public func resolve(_ id: TypeID) throws(BTFError) -> TypeID {
        try resolvedHeader(id)?.id ?? 0
    }

    /// The type a pointer points to, as declared (typedefs kept), typedefs and qualifiers followed
    /// to the pointer; `nil` when `id` is no pointer. Read from type headers alone.
    public func pointerTarget(of id: TypeID) throws(BTFError) -> TypeID? {
        guard let t = try resolvedHeader(id), t.kind == .pointer else { return nil }
        return t.sizeOrType
    }

    /// The type `id` names once typedefs (unless `keepingTypedefs`), qualifiers and type tags are
    /// followed, with its kind and third word (size or referenced type), each header read once;
    /// `nil` for `void`.
    package func resolvedHeader(
        _ id: TypeID, keepingTypedefs: Bool = false
    ) throws(BTFError) -> (id: TypeID, kind: Kind, sizeOrType: UInt32)? {
        var current = id
        for _ in 0..<Self.maximumDepth {
            guard current != 0 else { return nil }
            let t = try header(current)
            switch t.kind {
            case .typedef where !keepingTypedefs, .const, .volatile, .restrict, .typeTag: current = t.sizeOrType
            default: return (current, t.kind, t.sizeOrType)
            }
        }
        throw BTFError(.referenceLoop(id), typeID: id)
    }

    /// Follows qualifiers and type tags only (typedefs are kept).
    public func skipQualifiers(_ id: TypeID) throws(BTFError) -> TypeID {
        try resolvedHeader(id, keepingTypedefs: true)?.id ?? 0
    }

    /// The size in bytes of a value of type `id`, as `btf__resolve_size` computes it.
    public func size(of id: TypeID) throws(BTFError) -> Int {
        var current = id
        var multiplier = 1
        for _ in 0..<Self.maximumDepth {
            guard current != 0 else { throw BTFError(.invalidSize(id), typeID: id) }
            let t = try header(current)
            var size: Int
            switch t.kind {
            case .int, .struct, .union, .enum, .enum64, .dataSection, .float:
                size = Int(t.sizeOrType)
            case .pointer:
                size = pointerSize
            case .typedef, .const, .volatile, .restrict, .typeTag, .variable:
                current = t.sizeOrType
                continue
            case .array:
                let t = try type(current)
                let (product, overflow) = multiplier.multipliedReportingOverflow(by: Int(t.arrayInfo.count))
                guard !overflow, product <= Int(UInt32.max) else { throw BTFError(.invalidSize(id), typeID: id) }
                multiplier = product
                current = t.arrayInfo.element
                continue
            default:
                throw BTFError(.invalidSize(id), typeID: id)
            }
            let (total, overflow) = size.multipliedReportingOverflow(by: multiplier)
            guard !overflow, total <= Int(UInt32.max) else { throw BTFError(.invalidSize(id), typeID: id) }
            size = total
            return size
        }
        throw BTFError(.referenceLoop(id), typeID: id)
    }

    /// The alignment in bytes of type `id`, as `btf__align_of` computes it (1 for packed aggregates).
    ///
    /// Each aggregate's alignment is computed once and kept: libbpf's recursion revisits a struct
    /// for every path to it, which a few nested structs with two members each turn into billions
    /// of steps, and a C dump asks for every aggregate's alignment.
    public func alignment(of id: TypeID) throws(BTFError) -> Int {
        // Taken out of the lock while in use (so that adding to it copies nothing), then put back;
        // a concurrent caller meanwhile finds it empty and merely computes again.
        var known = alignments.withLock { cache in
            var taken: [TypeID: Int] = [:]
            swap(&taken, &cache)
            return taken
        }
        defer { alignments.withLock { cache in if known.count >= cache.count { swap(&known, &cache) } } }
        return try alignment(of: id, depth: 0, known: &known)
    }

    private func alignment(of id: TypeID, depth: Int, known: inout [TypeID: Int]) throws(BTFError) -> Int {
        guard depth < Self.maximumDepth else { throw BTFError(.referenceLoop(id), typeID: id) }
        if let alignment = known[id] { return alignment }
        let t = try type(id)
        switch t.kind {
        case .int, .enum, .enum64, .float:
            return max(1, min(pointerSize, Int(t.size)))
        case .pointer:
            return pointerSize
        case .typedef, .const, .volatile, .restrict, .typeTag, .variable:
            return try alignment(of: t.referencedType, depth: depth + 1, known: &known)
        case .array:
            return try alignment(of: t.arrayInfo.element, depth: depth + 1, known: &known)
        case .struct, .union:
            var largest = 1
            for m in t.members {
                let a = try alignment(of: m.type, depth: depth + 1, known: &known)
                largest = max(largest, a)
                // A member placed off its natural alignment means the aggregate is packed.
                if m.bitfieldSize == 0, Int(m.bitOffset) % (8 * a) != 0 {
                    known[id] = 1
                    return 1
                }
            }
            let alignment = Int(t.size) % largest == 0 ? largest : 1
            known[id] = alignment
            return alignment
        default:
            throw BTFError(.invalidSize(id), typeID: id)
        }
    }
}
