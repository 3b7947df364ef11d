import BTF
import ELF64

extension COREResolver {
    /// Walks an access string through the local BTF: the field's location, each step's member name
    /// (nil for array indices), and the access spelled as C (`task_struct->real_parent`).
    static func locateLocal(_ btf: BTF, root: TypeID, steps: [Int]) throws -> (FieldLocation, [String?], String) {
        let rootType = try btf.type(root)
        var spelled = CORE.essentialName(String(rootType.name))
        if spelled.isEmpty { spelled = "[\(root)]" }
        if steps[0] != 0 { spelled += "[\(steps[0])]" }
        var current = root
        var bitOffset = try bits(steps[0], elementsOf: try btf.size(of: root))
        var names: [String?] = [nil]
        var member: Member?
        for (i, step) in steps.dropFirst().enumerated() {
            let t = try btf.type(try btf.resolve(current))
            switch t.kind {
            case .struct, .union:
                guard step < t.vlen else { throw Miss(reason: "member #\(step) of a \(t.vlen)-member \(t.kind)") }
                let m = t.members[step]
                bitOffset += Int(m.bitOffset)
                current = m.type
                member = m
                names.append(String(m.name))
                spelled += (i == 0 ? "->" : ".") + (m.name.isEmpty ? "<anon>" : String(m.name))
            case .array:
                bitOffset = try add(bitOffset, try bits(step, elementsOf: try btf.size(of: t.arrayInfo.element)))
                current = t.arrayInfo.element
                member = nil
                names.append(nil)
                spelled += "[\(step)]"
            default:
                throw Miss(reason: "access step \(i + 1) indexes a \(t.kind)")
            }
        }
        return (try location(btf, type: current, bitOffset: bitOffset, member: member), names, spelled)
    }

    /// `index` elements of `size` bytes, in bits; an access string with absurd indices is a miss, not a trap.
    static func bits(_ index: Int, elementsOf size: Int) throws -> Int {
        let (bytes, o1) = index.multipliedReportingOverflow(by: size)
        let (bits, o2) = bytes.multipliedReportingOverflow(by: 8)
        guard !o1, !o2, bits <= Int(UInt32.max) * 8 else {
            throw Miss(reason: "array index \(index) reaches past any object")
        }
        return bits
    }

    static func add(_ a: Int, _ b: Int) throws -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw Miss(reason: "field offset overflows") }
        return sum
    }

    /// Where a field lies once found: its bit offset, size and signedness.
    static func location(_ btf: BTF, type: TypeID, bitOffset: Int, member: Member?) throws -> FieldLocation {
        let resolved = try btf.resolve(type)
        let t = try btf.type(resolved)
        let byteSize = try btf.size(of: type)
        let signed =
            (t.kind == .int && t.intInfo.encoding.contains(.signed))
            || ((t.kind == .enum || t.kind == .enum64) && t.isSigned)
        let bits = Int(member?.bitfieldSize ?? 0)
        return FieldLocation(
            bitOffset: bitOffset, bitSize: bits > 0 ? bits : byteSize * 8, byteSize: byteSize,
            isBitfield: bits > 0, isSigned: signed, typeID: resolved)
    }

    /// The value a field relocation writes, from the field's location (libbpf's bpf_core_calc_field_relo).
    static func fieldValue(_ kind: CORERelocationKind, _ field: FieldLocation, order: ByteOrder) throws -> UInt64 {
        var byteSize = field.byteSize
        var byteOffset = field.bitOffset / 8
        if field.isBitfield {
            // The smallest power-of-two load, aligned to its size, that covers the bitfield
            // (a zero-sized member type, only in hostile BTF, starts from one byte).
            byteSize = max(byteSize, 1)
            byteOffset = field.bitOffset / 8 / byteSize * byteSize
            while field.bitOffset + field.bitSize - byteOffset * 8 > byteSize * 8 {
                guard byteSize < 8 else { throw Miss(reason: "bitfield wider than 64 bits") }
                byteSize *= 2
                byteOffset = field.bitOffset / 8 / byteSize * byteSize
            }
        }
        switch kind {
        case .fieldByteOffset: return UInt64(byteOffset)
        case .fieldByteSize: return UInt64(byteSize)
        case .fieldExists: return 1
        case .fieldSigned: return field.isSigned ? 1 : 0
        case .fieldLShiftU64:
            // Wider-than-64-bit fields make these negative: wrap, as libbpf's u64 arithmetic does.
            return order == .little
                ? UInt64(bitPattern: Int64(64 - (field.bitOffset + field.bitSize - byteOffset * 8)))
                : UInt64(bitPattern: Int64((8 - byteSize) * 8 + (field.bitOffset - byteOffset * 8)))
        case .fieldRShiftU64: return UInt64(bitPattern: Int64(64 - field.bitSize))
        default: throw Miss(reason: "\(kind) is not a field relocation")
        }
    }

    /// What a relocation gives for one target candidate: the value, the field, and for a field the
    /// access in the target after its first step (member indices, anonymous members' included, and
    /// array indices): libbpf's target spec, what BTFGen keeps.
    struct TargetMatch {
        var value: UInt64
        var field: FieldLocation? = nil
        var path: [Int] = []
    }

    /// The value of a relocation for one target candidate, or a `Miss` saying why it does not match.
    static func targetValue(
        _ kind: CORERelocationKind, btf: BTF, root: TypeID, steps: [Int], names: [String?],
        local: BTF, localRoot: TypeID
    ) throws -> TargetMatch {
        switch kind {
        case _ where kind.isField:
            var path: [Int] = []
            var current = root
            var bitOffset = try bits(steps[0], elementsOf: try btf.size(of: root))
            var member: Member?
            var localCurrent = localRoot
            for (i, step) in steps.enumerated().dropFirst() {
                let l = try local.type(try local.resolve(localCurrent))
                if let name = names[i], name.isEmpty {
                    // An anonymous member is matched implicitly: the next named member is searched through it.
                    localCurrent = l.members[step].type
                    continue
                }
                let t = try btf.type(try btf.resolve(current))
                if let name = names[i] {
                    guard t.kind == .struct || t.kind == .union else {
                        throw Miss(reason: "\(name) is looked up in a \(t.kind)")
                    }
                    guard let (found, offset, indices) = try findMember(named: name, in: t, btf, depth: 0) else {
                        throw Miss(
                            reason: "no member '\(name)' in \(t.kind) \(t.name.isEmpty ? "[\(t.id)]" : String(t.name))")
                    }
                    let localMember = l.members[step]
                    guard try fieldsCompatible(local, localMember.type, btf, found.type) else {
                        throw Miss(reason: "member '\(name)' has an incompatible type")
                    }
                    bitOffset += offset
                    path += indices
                    current = found.type
                    member = found
                    localCurrent = localMember.type
                } else {
                    guard t.kind == .array else { throw Miss(reason: "index [\(step)] of a \(t.kind)") }
                    let count = Int(t.arrayInfo.count)
                    guard step < count || count == 0 else {
                        throw Miss(reason: "index [\(step)] past \(count) elements")
                    }
                    bitOffset = try add(bitOffset, try bits(step, elementsOf: try btf.size(of: t.arrayInfo.element)))
                    path.append(step)
                    current = t.arrayInfo.element
                    member = nil
                    localCurrent = l.kind == .array ? l.arrayInfo.element : localCurrent
                }
            }
            let field = try location(btf, type: current, bitOffset: bitOffset, member: member)
            return TargetMatch(value: try fieldValue(kind, field, order: local.byteOrder), field: field, path: path)
        case _ where kind.isEnum:
            let target = try btf.type(try btf.resolve(root))
            guard let name = names.first ?? nil, let e = target.enumerators.first(where: { $0.name == name }) else {
                throw Miss(reason: "no enumerator '\(names.first.flatMap { $0 } ?? "?")' in \(target.name)")
            }
            return TargetMatch(
                value: kind == .enumValueExists
                    ? 1 : (target.isSigned && target.kind == .enum ? UInt64(bitPattern: e.signedValue) : e.value))
        default:
            guard try compatible(local, localRoot, btf, root, strict: kind == .typeMatches) else {
                throw Miss(reason: "type [\(root)] is not compatible")
            }
            switch kind {
            case .typeIDTarget: return TargetMatch(value: UInt64(root))
            case .typeSize: return TargetMatch(value: UInt64(try btf.size(of: root)))
            default: return TargetMatch(value: 1)
            }
        }
    }

    /// A member by name, searched through anonymous struct and union members; its bit offset from
    /// `t`, and the member indices leading to it (the anonymous members', then its own).
    static func findMember(named name: String, in t: BTFType, _ btf: BTF, depth: Int) throws -> (Member, Int, [Int])? {
        guard depth < BTF.maximumDepth else { throw Miss(reason: "anonymous members nest too deep") }
        for (index, m) in t.members.enumerated() {
            if m.name == name { return (m, Int(m.bitOffset), [index]) }
            if m.name.isEmpty {
                let inner = try btf.type(try btf.resolve(m.type))
                if inner.kind == .struct || inner.kind == .union,
                    let (found, offset, indices) = try findMember(named: name, in: inner, btf, depth: depth + 1)
                {
                    return (found, Int(m.bitOffset) + offset, [index] + indices)
                }
            }
        }
        return nil
    }

    /// libbpf's compatibility of a local field's type with a target field's (`bpf_core_fields_are_compat`),
    /// looser than ``compatible(_:_:_:_:strict:)``: any two aggregates, any two pointers (whatever they
    /// point to), any two floats, integers that are no old-style bitfields, enums and forward
    /// declarations of one name (up to flavors, or anonymous), arrays of compatible elements.
    static func fieldsCompatible(_ local: BTF, _ localID: TypeID, _ target: BTF, _ targetID: TypeID) throws -> Bool {
        var l = localID, t = targetID
        for _ in 0..<BTF.maximumDepth {
            l = try local.resolve(l)
            t = try target.resolve(t)
            guard l != 0, t != 0 else { return false }  // void is compatible with nothing here
            let a = try local.type(l), b = try target.type(t)
            let aggregates: Set<Kind> = [.struct, .union], enums: Set<Kind> = [.enum, .enum64]
            if aggregates.contains(a.kind) && aggregates.contains(b.kind) { return true }
            guard a.kind == b.kind || (enums.contains(a.kind) && enums.contains(b.kind)) else { return false }
            switch a.kind {
            case .pointer, .float:
                return true
            case .forward, .enum, .enum64:
                let x = CORE.essentialName(String(a.name)), y = CORE.essentialName(String(b.name))
                return x.isEmpty || y.isEmpty || x == y
            case .int:
                return a.intInfo.bitOffset == 0 && b.intInfo.bitOffset == 0
            case .array:
                l = a.arrayInfo.element
                t = b.arrayInfo.element
            default:
                return false
            }
        }
        return false
    }

    /// libbpf's compatibility of a local and a target type: same kind after modifiers and typedefs,
    /// names equal up to flavors, pointers and arrays by what they hold, any integer with any integer;
    /// `strict` (TYPE_MATCHES) also wants every local member present in a target aggregate.
    static func compatible(
        _ local: BTF, _ localID: TypeID, _ target: BTF, _ targetID: TypeID, strict: Bool = false
    ) throws -> Bool {
        var check = Compatibility(local: local, target: target)
        return try check.compatible(localID, targetID, strict: strict, depth: 0)
    }

    /// One compatibility question, each pair of types answered once: a shared type reached along
    /// many paths (function prototypes whose parameters point to prototypes, in a DAG) costs one
    /// visit, not one per path; a pair met again while it is being answered (a cycle) is assumed to hold.
    struct Compatibility {
        let local: BTF, target: BTF
        private var known: [UInt64: Bool] = [:]
        /// Target aggregates' members by name, anonymous members' members included (first wins, as findMember).
        private var members: [TypeID: [String: TypeID]] = [:]

        init(local: BTF, target: BTF) {
            self.local = local
            self.target = target
        }

        mutating func compatible(_ localID: TypeID, _ targetID: TypeID, strict: Bool, depth: Int) throws -> Bool {
            guard depth < BTF.maximumDepth else { return false }
            let l = localID == 0 ? 0 : try local.resolve(localID), t = targetID == 0 ? 0 : try target.resolve(targetID)
            if l == 0 || t == 0 { return l == t }
            let key = (strict ? 1 << 63 : 0) | UInt64(l) << 32 | UInt64(t)
            if let answer = known[key] { return answer }
            known[key] = true
            let answer = try answer(l, t, strict: strict, depth: depth)
            known[key] = answer
            return answer
        }

        private mutating func answer(_ l: TypeID, _ t: TypeID, strict: Bool, depth: Int) throws -> Bool {
            let a = try local.type(l), b = try target.type(t)
            let enums: Set<Kind> = [.enum, .enum64]
            guard
                a.kind == b.kind || (enums.contains(a.kind) && enums.contains(b.kind))
                    || (a.kind == .forward && (b.kind == .struct || b.kind == .union))
            else {
                return false
            }
            func namesMatch() -> Bool {
                a.name.isEmpty || b.name.isEmpty
                    || CORE.essentialName(String(a.name)) == CORE.essentialName(String(b.name))
            }
            switch a.kind {
            case .int, .float: return !strict || a.size == b.size
            case .enum, .enum64, .forward: return namesMatch()
            case .pointer: return try compatible(a.referencedType, b.referencedType, strict: strict, depth: depth + 1)
            case .array:
                return try compatible(a.arrayInfo.element, b.arrayInfo.element, strict: strict, depth: depth + 1)
            case .struct, .union:
                guard namesMatch() else { return false }
                guard strict else { return true }
                let named = try members(of: b)
                for m in a.members where !m.name.isEmpty {
                    guard let found = named[String(m.name)],
                        try compatible(m.type, found, strict: false, depth: depth + 1)
                    else { return false }
                }
                return true
            case .functionProto:
                guard a.vlen == b.vlen else { return false }
                for (p, q) in zip(a.parameters, b.parameters)
                where !(try compatible(p.type, q.type, strict: false, depth: depth + 1)) { return false }
                return try compatible(a.referencedType, b.referencedType, strict: false, depth: depth + 1)
            default: return true
            }
        }

        /// The members of target aggregate `t` by name, found once per aggregate.
        private mutating func members(of t: BTFType) throws -> [String: TypeID] {
            if let known = members[t.id] { return known }
            var named: [String: TypeID] = [:]
            func add(_ aggregate: BTFType, depth: Int) throws {
                guard depth < BTF.maximumDepth else { throw Miss(reason: "anonymous members nest too deep") }
                for m in aggregate.members {
                    if !m.name.isEmpty {
                        let name = String(m.name)
                        if named[name] == nil { named[name] = m.type }
                    } else {
                        let inner = try target.type(try target.resolve(m.type))
                        if inner.kind == .struct || inner.kind == .union { try add(inner, depth: depth + 1) }
                    }
                }
            }
            try add(t, depth: 0)
            members[t.id] = named
            return named
        }
    }

    /// Writes `value` into the instruction (immediate, memory offset, or both halves of `ld_imm64`),
    /// after checking that it held the local value the compiler computed (`nil`: not checked).
    static func patch(
        _ instructions: inout [Instruction], at i: Int, value: UInt64, expected expectedValue: UInt64?,
        sizes: (local: Int, target: Int, bitfield: Bool)?, fail: (COREProblem.PatchProblem) -> ObjectError
    ) throws(ObjectError) {
        let insn = instructions[i]
        // Compilers compute bitfield loads their own way: like libbpf, only non-bitfield values are checked.
        let expected = expectedValue ?? (insn.isLoadImmediate64 ? 0 : UInt64(UInt32(bitPattern: insn.immediate)))
        switch insn.instructionClass {
        case 0x04, 0x07:  // ALU, ALU64 with an immediate
            guard insn.opcode & 0x08 == 0 else { throw fail(.aluWithoutImmediate) }
            guard expectedValue == nil || UInt64(UInt32(bitPattern: insn.immediate)) == expected & 0xffff_ffff else {
                throw fail(.immediateDiffers(found: insn.immediate, local: expected))
            }
            guard value <= UInt64(UInt32.max) else { throw fail(.valueTooWide(value)) }
            instructions[i].immediate = Int32(bitPattern: UInt32(value))
        case 0x01, 0x02, 0x03:  // LDX, ST, STX: the memory offset
            guard expectedValue == nil || UInt64(bitPattern: Int64(insn.offset)) == expected else {
                throw fail(.offsetDiffers(found: insn.offset, local: expected))
            }
            guard value <= UInt64(Int16.max) else { throw fail(.offsetTooWide(value)) }
            instructions[i].offset = Int16(value)
            if let sizes, sizes.local != sizes.target, !sizes.bitfield {
                let code: [Int: UInt8] = [1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18]
                guard let newSize = code[sizes.target] else { throw fail(.fieldSize(sizes.target)) }
                instructions[i].opcode = insn.opcode & ~0x18 | newSize
            }
        case 0x00 where insn.isLoadImmediate64 && i + 1 < instructions.count:
            instructions[i].immediate = Int32(bitPattern: UInt32(truncatingIfNeeded: value))
            instructions[i + 1].immediate = Int32(bitPattern: UInt32(truncatingIfNeeded: value >> 32))
        default:
            throw fail(.opcode(insn.opcode))
        }
    }

    /// Replaces the instruction with a call to a helper that does not exist, as libbpf does.
    static func poison(_ instructions: inout [Instruction], at i: Int) {
        let wasWide = instructions[i].isLoadImmediate64
        instructions[i] = Instruction(opcode: 0x85, immediate: CORE.poisonHelper)
        if wasWide, i + 1 < instructions.count {
            instructions[i + 1] = Instruction(opcode: 0x85, immediate: CORE.poisonHelper)
        }
    }
}
