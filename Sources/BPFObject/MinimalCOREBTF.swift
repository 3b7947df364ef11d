import BTF
import ELF64

/// The part of a target BTF (a kernel's vmlinux) that objects' CO-RE relocations use, as
/// `bpftool gen min_core_btf` (BTFGen) keeps it: shipped beside the objects, it relocates them on
/// kernels built without BTF exactly as the full BTF would.
///
/// Each relocation is matched as a load matches it (the first candidate, candidates agreeing);
/// a field access keeps, along its path in the target, each struct or union with only the members
/// it passes through and those members' types (pointers not followed); a type relocation keeps
/// the type and what it refers to, pointers followed; a TYPE_MATCHES relocation keeps the type's
/// members and their types, stopping at aggregates behind pointers; an enum relocation keeps the
/// enum whole. Marking walks a work list with a set of visited types: linear in the target.
public struct MinimalCOREBTF {
    public let target: BTF
    /// Kept types, by id.
    private var marked: [Bool]
    /// Kept members of each kept struct or union, by member index.
    private var markedMembers: [TypeID: [Bool]] = [:]
    /// Types already marked with pointers followed (bit 0 of the key) or not, or matched behind a pointer or not.
    private var visited: Set<UInt64> = []
    private var visitedForMatch: Set<UInt64> = []

    /// Starts with nothing of `target` kept.
    public init(target: BTF) {
        self.target = target
        marked = [Bool](repeating: false, count: Int(target.endID))
    }

    /// Keeps what `object`'s CO-RE relocations use of the target. An object without relocations adds nothing.
    public mutating func add(_ object: ObjectSpec) throws(ObjectError) {
        guard let btf = object.btf, let ext = object.btfExt else { return }
        try add(btf: btf, ext: ext)
    }

    /// Keeps what the CO-RE relocations of `ext` (an object's `.BTF.ext`, its types in `btf`) use of
    /// the target: no more of the object is read, as bpftool reads no more.
    public mutating func add(btf: BTF, ext: BTFExt) throws(ObjectError) {
        var resolver = COREResolver(local: btf, targets: [target])
        for section in ext.coreRelocations {
            for record in section.records {
                let instruction = Int(record.instructionOffset) / Instruction.size
                guard let kind = CORERelocationKind(rawValue: record.kind) else {
                    throw .invalidInstruction(
                        program: String(section.name), instruction: instruction, reason: .unknownCOREKind(record.kind))
                }
                guard
                    let match = try resolver.firstMatch(
                        record, kind: kind, section: String(section.name), instruction: instruction)
                else { continue }
                do {
                    switch kind {
                    case _ where kind.isField: try markField(root: match.id, path: match.match.path)
                    case .typeMatches: try markMatch(match.id)
                    case _ where kind.isEnum: try markType(match.id, followingPointers: false)
                    default: try markType(match.id, followingPointers: true)
                    }
                } catch {
                    throw .btf(error)
                }
            }
        }
    }

    /// The kept types in the target's id order, each struct and union with its kept members only
    /// (its size kept), references renumbered (to 0 where the referred type was not kept).
    public func minimized() throws(BTFError) -> BTFBuilder {
        var builder = BTFBuilder()
        var newID = [TypeID](repeating: 0, count: marked.count)
        for index in marked.indices where marked[index] {
            let id = TypeID(index)
            let type = try target.type(id)
            var record: TypeRecord
            if type.kind == .struct || type.kind == .union {
                // As libbpf's btf__add_field: the kind flag set once a kept member is a bitfield.
                record = TypeRecord(kind: type.kind, name: String(type.name), sizeOrType: type.size)
                let kept = markedMembers[id] ?? []
                for (i, member) in type.members.enumerated() where i < kept.count && kept[i] {
                    record.kindFlag = record.kindFlag || member.bitfieldSize != 0 || member.bitOffset % 8 != 0
                    record.trailing += [
                        .name(String(member.name)), .value(member.type),
                        .value(member.bitOffset | member.bitfieldSize << 24),
                    ]
                    record.vlen += 1
                }
            } else {
                record = TypeRecord(type)
            }
            newID[index] = builder.add(record)
        }
        for index in builder.types.indices {
            builder.types[index].remapReferences { Int($0) < newID.count ? newID[Int($0)] : 0 }
        }
        return builder
    }

    /// libbpf's `btfgen_record_field_relo`: the root, then along the target access each member
    /// (of the struct or union reached through typedefs and qualifiers) and the member's type.
    private mutating func markField(root: TypeID, path: [Int]) throws(BTFError) {
        try markType(root, followingPointers: false)
        var current = root
        for step in path {
            let resolved = try target.resolve(current)
            let type = try target.type(resolved)
            switch type.kind {
            case .struct, .union:
                guard step < type.vlen else { return }  // (the match walked this very path)
                markMember(resolved, step, of: type.vlen)
                current = type.members[step].type
                try markType(current, followingPointers: false)
            case .array:
                current = type.arrayInfo.element
            default:
                return
            }
        }
    }

    private mutating func markMember(_ id: TypeID, _ index: Int, of count: Int) {
        markedMembers[id, default: [Bool](repeating: false, count: count)][index] = true
    }

    /// libbpf's `btfgen_mark_type`: the type and what it refers to; pointers followed only when asked.
    private mutating func markType(_ root: TypeID, followingPointers follow: Bool) throws(BTFError) {
        var pending = [root]
        while let id = pending.popLast() {
            guard id != 0, Int(id) < marked.count,
                visited.insert(UInt64(id) << 1 | (follow ? 1 : 0)).inserted
            else { continue }
            marked[Int(id)] = true
            let type = try target.type(id)
            switch type.kind {
            case .pointer:
                if follow { pending.append(type.referencedType) }
            case .const, .restrict, .volatile, .typedef, .typeTag:
                pending.append(type.referencedType)
            case .array:
                pending += [type.arrayInfo.element, type.arrayInfo.index]
            case .functionProto:
                pending.append(type.referencedType)
                pending += type.parameters.map(\.type)
            default:
                break  // ints, floats, enums, aggregates and forward declarations end the walk
            }
        }
    }

    /// libbpf's `btfgen_mark_type_match`: every member of an aggregate and its type, except for
    /// aggregates reached through a pointer (kept, empty).
    private mutating func markMatch(_ root: TypeID) throws(BTFError) {
        var pending = [(root, false)]
        while let (id, behindPointer) = pending.popLast() {
            guard id != 0, Int(id) < marked.count,
                visitedForMatch.insert(UInt64(id) << 1 | (behindPointer ? 1 : 0)).inserted
            else { continue }
            marked[Int(id)] = true
            let type = try target.type(id)
            switch type.kind {
            case .struct, .union:
                guard !behindPointer else { break }
                for (index, member) in type.members.enumerated() {
                    markMember(id, index, of: type.vlen)
                    pending.append((member.type, false))
                }
            case .const, .forward, .restrict, .typedef, .volatile, .typeTag:
                pending.append((type.referencedType, behindPointer))
            case .pointer:
                pending.append((type.referencedType, true))
            case .array:
                pending += [(type.arrayInfo.element, false), (type.arrayInfo.index, false)]
            case .functionProto:
                pending.append((type.referencedType, false))
                pending += type.parameters.map { ($0.type, false) }
            default:
                break
            }
        }
    }
}
