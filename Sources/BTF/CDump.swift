/// Writes BTF as a C header in the style of `bpftool btf dump … format c` (vmlinux.h):
/// every named struct, union, enum and typedef, ordered so that the header
/// compiles, with explicit padding and `packed` where the recorded layout
/// needs them, so that `sizeof` and member offsets equal the BTF's.
///
/// Ordering: a type is defined after the types it holds by value; a struct
/// or union reached only through pointers gets a forward declaration
/// instead. Anonymous types are written inline where used; anonymous enums
/// nobody uses (they carry constants) at top level. Names that occur twice
/// get `___2`, `___3`… as libbpf does.
extension BTF {
    public func dumpC(to out: inout some TextOutputStream, guardName: String = "__VMLINUX_H__") throws(BTFError) {
        var dumper = CDumper(btf: self)
        try dumper.dumpAll()
        out.write(
            """
            #ifndef \(guardName)
            #define \(guardName)

            #ifndef BPF_NO_PRESERVE_ACCESS_INDEX
            #pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
            #endif


            """)
        out.write(dumper.text)
        out.write(
            """
            #ifndef BPF_NO_PRESERVE_ACCESS_INDEX
            #pragma clang attribute pop
            #endif

            #endif /* \(guardName) */

            """)
    }
}

struct CDumper {
    let btf: BTF
    var text = ""
    /// C names of named structs, unions, enums, forwards and typedefs, made unique.
    private var names: [TypeID: String] = [:]
    private var tags: [String: Int] = [:]
    private var ordinary: [String: Int] = [:]
    private var defined: Set<TypeID> = []
    private var declared: Set<TypeID> = []
    private var inProgress: Set<TypeID> = []
    /// Anonymous enums used by some declaration: they are written inline there, once.
    private var usedAnonymousEnums: Set<TypeID> = []
    private var inlinedEnums: Set<TypeID> = []
    /// Types already required by value, and behind a pointer: a type shared along many paths
    /// (anonymous aggregates in a DAG) is walked once, not once per path.
    private var requiredByValue: Set<TypeID> = []
    private var requiredByReference: Set<TypeID> = []
    /// The most text a dump may write: anonymous aggregates are written inline wherever they are
    /// used, so hostile BTF sharing them in a DAG would otherwise grow the header exponentially.
    let textLimit: Int

    /// Deeper nesting than this is treated as a reference loop in hostile input.
    static let maximumNesting = 512

    init(btf: BTF) {
        self.btf = btf
        // Far above what real BTF gives (vmlinux: 5.5 MB of BTF, 3.5 MB of C; a small object's: a few times its BTF).
        textLimit = 64 * btf.bytes.count + (1 << 16)
    }

    mutating func dumpAll() throws(BTFError) {
        try assignNames()
        var id = btf.firstID
        while id < btf.endID {
            guard text.utf8.count <= textLimit else { throw BTFError(.outputTooLarge(limit: textLimit), typeID: id) }
            let t = try btf.type(id)
            switch t.kind {
            case .struct, .union, .enum, .enum64, .typedef:
                if !t.name.isEmpty {
                    try define(id, depth: 0)
                } else if t.kind == .enum || t.kind == .enum64, !usedAnonymousEnums.contains(id) {
                    text += "enum " + (try enumBody(t, indent: 0)) + ";\n\n"
                }
            default: break
            }
            id += 1
        }
    }

    // MARK: Names

    private mutating func assignNames() throws(BTFError) {
        var forwards: [BTFType] = []
        // The first struct and union of each name, for forward declarations (looked up in the index
        // per forward, a name shared by thousands of types was walked once per forward).
        var firstStruct: [String: TypeID] = [:], firstUnion: [String: TypeID] = [:]
        var nameBytes = 0
        var id = btf.firstID
        while id < btf.endID {
            let t = try btf.type(id)
            // Names become Strings: many types naming suffixes of one long string count against the dump's limit.
            nameBytes += t.name.count
            guard nameBytes <= textLimit else { throw BTFError(.outputTooLarge(limit: textLimit), typeID: id) }
            if t.kind == .struct, !t.name.isEmpty, firstStruct[String(t.name)] == nil {
                firstStruct[String(t.name)] = id
            }
            if t.kind == .union, !t.name.isEmpty, firstUnion[String(t.name)] == nil { firstUnion[String(t.name)] = id }
            switch t.kind {
            case .struct, .union, .enum, .enum64:
                if !t.name.isEmpty { names[id] = Self.unique(String(t.name), in: &tags) }
            case .forward:
                forwards.append(t)
            case .typedef where !t.name.isEmpty:
                names[id] = Self.unique(String(t.name), in: &ordinary)
            default:
                break
            }
            for reference in try references(of: t) where reference >= btf.firstID {
                let target = try btf.type(reference)
                if (target.kind == .enum || target.kind == .enum64), target.name.isEmpty {
                    usedAnonymousEnums.insert(reference)
                }
            }
            id += 1
        }
        // A forward declaration shares the name of the struct or union it announces.
        for f in forwards {
            if let full = (f.kindFlag ? firstUnion : firstStruct)[String(f.name)], let name = names[full] {
                names[f.id] = name
            } else {
                names[f.id] = Self.unique(String(f.name), in: &tags)
            }
        }
    }

    private static func unique(_ name: String, in namespace: inout [String: Int]) -> String {
        guard let seen = namespace[name] else { namespace[name] = 1; return name }
        namespace[name] = seen + 1
        return "\(name)___\(seen + 1)"
    }

    /// The types a type refers to directly.
    private func references(of t: BTFType) throws(BTFError) -> [TypeID] {
        switch t.kind {
        case .pointer, .typedef, .const, .volatile, .restrict, .typeTag: return [t.referencedType]
        case .array: return [t.arrayInfo.element]
        case .struct, .union: return t.members.map(\.type)
        case .functionProto: return [t.referencedType] + t.parameters.map(\.type)
        default: return []
        }
    }

    private func name(of id: TypeID, _ t: BTFType) -> String {
        names[id] ?? String(t.name)
    }

    // MARK: Ordering

    /// Writes the definition of a named struct, union, enum or typedef, after what it needs.
    private mutating func define(_ id: TypeID, depth: Int) throws(BTFError) {
        guard id >= btf.firstID, !defined.contains(id), !inProgress.contains(id) else { return }
        guard depth < Self.maximumNesting else { throw BTFError(.referenceLoop(id), typeID: id) }
        inProgress.insert(id)
        defer { inProgress.remove(id) }
        let t = try btf.type(id)
        switch t.kind {
        case .struct, .union:
            for m in t.members { try require(m.type, byValue: true, depth: depth + 1) }
            text += (try aggregate(t, indent: 0, depth: depth)) + ";\n\n"
        case .enum, .enum64:
            text +=
                t.vlen == 0
                ? "enum \(name(of: id, t));\n\n" : "enum \(name(of: id, t)) " + (try enumBody(t, indent: 0)) + ";\n\n"
        case .typedef where String(t.name) == "__builtin_va_list":
            break  // the compiler's own: declaring it again is an error
        case .typedef:
            try require(t.referencedType, byValue: false, depth: depth + 1)
            text += "typedef " + (try declaration(t.referencedType, name(of: id, t), indent: 0, depth: depth)) + ";\n\n"
        default:
            break
        }
        defined.insert(id)
    }

    /// Makes sure what `id` names is usable here: defined when held by value, declared when behind a pointer.
    private mutating func require(_ id: TypeID, byValue: Bool, depth: Int) throws(BTFError) {
        guard id >= btf.firstID else { return }
        guard depth < Self.maximumNesting else { throw BTFError(.referenceLoop(id), typeID: id) }
        let t = try btf.type(id)
        // Types without a name of their own are only walked through: once each suffices. (Named ones
        // have their own state — defined, declared, in progress — and must be looked at each time: one
        // required again while its definition is in progress needs the forward declaration then.)
        if t.name.isEmpty || t.kind == .pointer || t.kind == .array || t.kind == .functionProto {
            if byValue {
                guard requiredByValue.insert(id).inserted else { return }
            } else {
                guard !requiredByValue.contains(id), requiredByReference.insert(id).inserted else { return }
            }
        }
        switch t.kind {
        case .pointer:
            try require(t.referencedType, byValue: false, depth: depth + 1)
        case .array:
            // C wants an array's element type complete, even behind a pointer.
            try require(t.arrayInfo.element, byValue: true, depth: depth + 1)
        case .const, .volatile, .restrict, .typeTag:
            try require(t.referencedType, byValue: byValue, depth: depth + 1)
        case .typedef:
            try define(id, depth: depth + 1)
            if byValue { try require(t.referencedType, byValue: true, depth: depth + 1) }
        case .struct, .union:
            if t.name.isEmpty {
                for m in t.members { try require(m.type, byValue: true, depth: depth + 1) }
            } else if byValue {
                try define(id, depth: depth + 1)
            } else if !defined.contains(id), !declared.contains(id) {
                declared.insert(id)
                text += "\(t.kind == .union ? "union" : "struct") \(name(of: id, t));\n\n"
            }
        case .forward:
            if !declared.contains(id) {
                declared.insert(id)
                text += "\(t.kindFlag ? "union" : "struct") \(name(of: id, t));\n\n"
            }
        case .enum, .enum64:
            if !t.name.isEmpty { try define(id, depth: depth + 1) }
        case .functionProto:
            try require(t.referencedType, byValue: false, depth: depth + 1)
            for p in t.parameters { try require(p.type, byValue: false, depth: depth + 1) }
        default:
            break
        }
    }

    // MARK: Declarations

    /// `specifiers declarator` for a value of type `id` named `declarator` (empty for abstract declarators).
    private mutating func declaration(
        _ id: TypeID, _ declarator: String, indent: Int, depth: Int
    ) throws(BTFError) -> String {
        guard depth < Self.maximumNesting else { throw BTFError(.referenceLoop(id), typeID: id) }
        var decl = declarator
        var qualifiers: [String] = []
        var current = id
        for _ in 0..<Self.maximumNesting {
            func finish(_ base: String) -> String {
                (qualifiers.isEmpty ? "" : qualifiers.joined(separator: " ") + " ") + base
                    + (decl.isEmpty ? "" : " " + decl)
            }
            if current == 0 { return finish("void") }
            let t = try btf.type(current)
            switch t.kind {
            case .pointer:
                decl = "*" + decl
                current = t.referencedType
            case .array:
                if decl.hasPrefix("*") { decl = "(" + decl + ")" }
                decl += "[\(t.arrayInfo.count)]"
                current = t.arrayInfo.element
            case .const, .volatile, .restrict:
                let word = t.kind == .const ? "const" : t.kind == .volatile ? "volatile" : "restrict"
                if try btf.kindSkippingQualifiers(t.referencedType) == .pointer {
                    decl = word + (decl.isEmpty ? "" : " " + decl)
                } else if !qualifiers.contains(word) {
                    qualifiers.append(word)
                }
                current = t.referencedType
            case .typeTag:
                current = t.referencedType
            case .functionProto:
                if decl.hasPrefix("*") { decl = "(" + decl + ")" }
                var params: [String] = []
                for (i, p) in t.parameters.enumerated() {
                    if p.type == 0, i == t.vlen - 1 { params.append("..."); continue }
                    params.append(try declaration(p.type, String(p.name), indent: indent, depth: depth + 1))
                    try checkSize(params.last, id: current)
                }
                decl += "(" + (params.isEmpty ? "void" : params.joined(separator: ", ")) + ")"
                current = t.referencedType
            case .typedef:
                return finish(name(of: current, t))
            case .int, .float:
                return finish(String(t.name))
            case .struct, .union:
                if t.name.isEmpty { return finish(try aggregate(t, indent: indent, depth: depth + 1)) }
                return finish("\(t.kind == .union ? "union" : "struct") \(name(of: current, t))")
            case .forward:
                return finish("\(t.kindFlag ? "union" : "struct") \(name(of: current, t))")
            case .enum, .enum64:
                if !t.name.isEmpty { return finish("enum \(name(of: current, t))") }
                if inlinedEnums.insert(current).inserted { return finish("enum " + (try enumBody(t, indent: indent))) }
                return finish(Self.integer(ofSize: Int(t.size), signed: t.isSigned))
            case .function, .variable, .dataSection, .declTag:
                throw BTFError(.unexpectedKind(current, t.kind), typeID: current)
            }
        }
        throw BTFError(.referenceLoop(id), typeID: id)
    }

    static func integer(ofSize size: Int, signed: Bool) -> String {
        let base =
            switch size {
            case 1: "char"
            case 2: "short"
            case 8: "long long"
            default: "int"
            }
        return (signed ? "signed " : "unsigned ") + base
    }

    // MARK: Bodies

    /// `struct NAME { … }` with padding, or `union …`; `NAME` omitted for anonymous ones.
    private mutating func aggregate(_ t: BTFType, indent: Int, depth: Int) throws(BTFError) -> String {
        let keyword = t.kind == .union ? "union" : "struct"
        let head = t.name.isEmpty ? keyword : "\(keyword) \(name(of: t.id, t))"
        if t.vlen == 0 && t.size == 0 { return head + " {}" }
        let pad = String(repeating: "\t", count: indent + 1)
        var naturalAlignment = 1
        for m in t.members { naturalAlignment = max(naturalAlignment, try btf.alignment(of: m.type)) }
        let packed = try btf.alignment(of: t.id) < naturalAlignment
        var body = head + " {\n"
        var offset = 0
        for m in t.members {
            let bits = Int(m.bitfieldSize)
            let target = Int(m.bitOffset)
            if t.kind == .struct {
                var natural: Int
                if bits > 0 {
                    let unit = max(8, try btf.size(of: m.type) * 8)
                    natural = offset
                    if !packed, natural / unit != (natural + bits - 1) / unit {
                        natural = (natural + unit - 1) / unit * unit
                    }
                } else {
                    let align = packed ? 8 : try btf.alignment(of: m.type) * 8
                    natural = (offset + align - 1) / align * align
                }
                if target > natural { body += Self.padding(from: offset, to: target, indent: pad) }
                offset = target + (bits > 0 ? bits : try btf.size(of: m.type) * 8)
            }
            var member = try memberType(m.type, name: String(m.name), indent: indent + 1, depth: depth + 1)
            if bits > 0 { member += ": \(bits)" }
            body += pad + member + ";\n"
            try checkSize(body, id: t.id)
        }
        if t.kind == .struct {
            let end = Int(t.size) * 8
            let align = (packed ? 1 : naturalAlignment) * 8
            if end > offset, (offset + align - 1) / align * align != end {
                body += Self.padding(from: offset, to: end, indent: pad)
            }
        }
        body += String(repeating: "\t", count: indent) + "}"
        if packed { body += " __attribute__((packed))" }
        return body
    }

    /// A member's declaration; an enum whose C size would differ from its recorded size becomes an integer of that size.
    private mutating func memberType(_ id: TypeID, name: String, indent: Int, depth: Int) throws(BTFError) -> String {
        let resolved = try btf.resolve(id)
        if resolved != 0 {
            let t = try btf.type(resolved)
            if t.kind == .enum || t.kind == .enum64, Int(t.size) != Self.naturalEnumSize(t) {
                return Self.integer(ofSize: Int(t.size), signed: t.isSigned) + " " + name
            }
        }
        return try declaration(id, name, indent: indent, depth: depth)
    }

    /// Throws once a piece of text being built passes the dump's limit.
    @inline(never)
    private func checkSize(_ piece: String?, id: TypeID) throws(BTFError) {
        guard let piece, piece.utf8.count + text.utf8.count <= textLimit else {
            throw BTFError(.outputTooLarge(limit: textLimit), typeID: id)
        }
    }

    /// The size a C compiler gives an enum with these values.
    static func naturalEnumSize(_ t: BTFType) -> Int {
        for e in t.enumerators {
            let fits = t.isSigned ? Int32(exactly: e.signedValue) != nil : UInt32(exactly: e.value) != nil
            if !fits { return 8 }
        }
        return 4
    }

    private mutating func enumBody(_ t: BTFType, indent: Int) throws(BTFError) -> String {
        let pad = String(repeating: "\t", count: indent + 1)
        var body = "{\n"
        for e in t.enumerators {
            let value: String
            switch (t.kind, t.isSigned) {
            case (.enum, true): value = "\(Int32(truncatingIfNeeded: e.signedValue))"
            case (.enum, false): value = "\(UInt32(truncatingIfNeeded: e.value))"
            case (_, true): value = "\(e.signedValue)LL"
            default: value = "\(e.value)ULL"
            }
            body += pad + Self.unique(String(e.name), in: &ordinary) + " = " + value + ",\n"
        }
        return body + String(repeating: "\t", count: indent) + "}"
    }

    /// Unnamed bitfields that advance from bit `from` to bit `to` without straddling their units;
    /// gaps of 64 bytes or more become one `char __pad_OFFSET[N]` array, so output stays bounded.
    static func padding(from: Int, to: Int, indent: String) -> String {
        var at = from, out = ""
        while at < to, at % 8 != 0 {
            let n = min(8 - at % 8, to - at)
            out += indent + "char: \(n);\n"
            at += n
        }
        if to - at >= 64 * 8 {
            out += indent + "char __pad_\(at / 8)[\((to - at) / 8)];\n"
            at += (to - at) / 8 * 8
        }
        while at < to {
            let remaining = to - at
            if remaining < 8 { out += indent + "char: \(remaining);\n"; break }
            let (word, width) =
                at % 64 == 0 && remaining >= 64
                ? ("long", 64)
                : at % 32 == 0 && remaining >= 32
                    ? ("int", 32)
                    : at % 16 == 0 && remaining >= 16 ? ("short", 16) : ("char", 8)
            out += indent + "\(word): \(width);\n"
            at += width
        }
        return out
    }
}

extension BTF {
    /// The kind of `id` after qualifiers and type tags (typedefs kept); `nil` for void.
    func kindSkippingQualifiers(_ id: TypeID) throws(BTFError) -> Kind? {
        let skipped = try skipQualifiers(id)
        return skipped == 0 ? nil : try type(skipped).kind
    }
}
