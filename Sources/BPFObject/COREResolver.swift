import BTF
import ELF64

/// Resolves CO-RE relocations of one object against target BTFs, caching candidates per local type.
struct COREResolver {
    let local: BTF
    let targets: [BTF]
    /// Candidates by the local root's essential name and kind (local types sharing a name share the walk).
    private var candidates: [CandidateKey: [(btf: BTF, id: TypeID)]] = [:]

    struct CandidateKey: Hashable {
        let name: String
        let kind: Kind
    }

    init(local: BTF, targets: [BTF]) {
        self.local = local
        self.targets = targets
    }

    /// The outcome of a relocation that could not be computed for this candidate (or at all).
    struct Miss: Error { let reason: String }

    /// Resolves one record and patches (or poisons) its instruction.
    mutating func resolve(
        _ record: CORERelocation, kind: CORERelocationKind, program: String, instruction index: Int,
        in instructions: inout [Instruction]
    ) throws(ObjectError) -> COREOutcome {
        func fail(_ problem: COREProblem) -> ObjectError {
            .invalidInstruction(program: program, instruction: index, reason: .core(problem))
        }
        let access: ByteString
        do { access = try local.string(at: record.accessStringOffset) } catch { throw .btf(error) }
        // 64 steps of at most 10 digits each and their colons fit; longer (leading zeros, say) is refused
        // before it is copied and split once per record.
        guard access.count <= CORE.maximumAccessStringLength else {
            throw fail(.accessStringTooLong(bytes: access.count, limit: CORE.maximumAccessStringLength))
        }
        let accessText = String(access)
        let indices = accessText.split(separator: ":").map { Int($0) }
        guard !indices.isEmpty, indices.allSatisfy({ $0 != nil && $0! >= 0 }) else {
            throw fail(.malformedAccess(String(accessText.prefix(80))))
        }
        // libbpf's BPF_CORE_SPEC_MAX_LEN: longer accesses (through a self-containing struct, say) are refused.
        guard indices.count <= CORE.maximumAccessLength else {
            throw fail(.accessTooLong(steps: indices.count, limit: CORE.maximumAccessLength))
        }
        let steps = indices.compactMap { $0 }
        // The local side: the value the compiler assumed, and the path spelled as C.
        let localValue: UInt64, localField: FieldLocation?, spelled: String, localNames: [String?]
        do {
            let localRoot = try local.type(record.typeID)
            switch kind {
            case _ where kind.isField:
                let (location, names, text) = try Self.locateLocal(local, root: record.typeID, steps: steps)
                (localField, localNames, spelled) = (location, names, text)
                localValue = try Self.fieldValue(kind, location, order: local.byteOrder)
            case _ where kind.isEnum:
                let enumType = try local.type(try local.resolve(record.typeID))
                guard enumType.kind == .enum || enumType.kind == .enum64, steps.count == 1, steps[0] < enumType.vlen
                else {
                    throw fail(.notEnumerator(access: accessText, typeID: record.typeID))
                }
                let enumerator = enumType.enumerators[steps[0]]
                (localField, localNames) = (nil, [String(enumerator.name)])
                spelled = "\(CORE.essentialName(String(localRoot.name)))::\(enumerator.name)"
                localValue = kind == .enumValueExists ? 1 : enumerator.value
            default:
                guard steps == [0] else { throw fail(.typeRelocationAccess(accessText)) }
                (localField, localNames) = (nil, [])
                spelled = localRoot.name.isEmpty ? "[\(record.typeID)]" : String(localRoot.name)
                localValue =
                    switch kind {
                    case .typeIDLocal, .typeIDTarget: UInt64(record.typeID)
                    case .typeSize: UInt64(try local.size(of: record.typeID))
                    default: 1
                    }
            }
        } catch {
            throw .converting(error)
        }
        func patchFailure(_ problem: COREProblem.PatchProblem) -> ObjectError {
            fail(.patch(kind: kind, access: spelled, problem))
        }
        func outcome(_ value: UInt64?, _ reason: String = "") -> COREOutcome {
            COREOutcome(program: program, instruction: index, kind: kind, access: spelled, value: value, reason: reason)
        }
        if kind == .typeIDLocal {
            try Self.patch(
                &instructions, at: index, value: localValue, expected: localValue, sizes: nil, fail: patchFailure)
            return outcome(localValue)
        }
        // The target side: every candidate of the same essential name and kind must agree.
        var results: [(value: UInt64, field: FieldLocation?, candidate: String)] = []
        let rootName = (try? local.type(record.typeID)).map { String($0.name) } ?? ""
        var lastMiss = "no type named '\(CORE.essentialName(rootName))' in the target BTF"
        for (btf, id) in candidatesFor(record.typeID, kind: kind) {
            do {
                let (value, field) = try Self.targetValue(
                    kind, btf: btf, root: id, steps: steps, names: localNames, local: local, localRoot: record.typeID)
                results.append((value, field, "[\(id)]"))
            } catch let miss as Miss {
                lastMiss = miss.reason
            } catch {
                lastMiss = "\(error)"
            }
        }
        if let first = results.first {
            if let other = results.first(where: { $0.value != first.value }) {
                throw fail(
                    .ambiguous(
                        kind: kind, access: spelled, first: first.candidate, firstValue: first.value,
                        second: other.candidate, secondValue: other.value))
            }
            try Self.patch(
                &instructions, at: index, value: first.value,
                expected: localField?.isBitfield == true ? nil : localValue,
                sizes: localField.flatMap { l in first.field.map { (l.byteSize, $0.byteSize, $0.isBitfield) } },
                fail: patchFailure)
            return outcome(first.value)
        }
        switch kind {
        case .fieldExists, .typeExists, .enumValueExists, .typeMatches, .typeIDTarget:
            try Self.patch(
                &instructions, at: index, value: 0, expected: localField?.isBitfield == true ? nil : localValue,
                sizes: nil, fail: patchFailure)
            return outcome(0)
        default:
            Self.poison(&instructions, at: index)
            return outcome(nil, lastMiss)
        }
    }

    /// Target types with the local root's essential name and a compatible kind, from every target BTF.
    private mutating func candidatesFor(_ localRoot: TypeID, kind: CORERelocationKind) -> [(btf: BTF, id: TypeID)] {
        guard let root = try? local.type(localRoot), !root.name.isEmpty else { return [] }
        let name = CORE.essentialName(String(root.name))
        // enum and enum64 match each other: one key for both.
        let key = CandidateKey(name: name, kind: root.kind == .enum64 ? .enum : root.kind)
        if let cached = candidates[key] { return cached }
        var found: [(BTF, TypeID)] = []
        for btf in targets {
            // Split BTF lists its base's types too: take only its own, the base is a target of its own.
            for id in btf.typeIDs(named: name) where btf.base == nil || id >= btf.firstID {
                guard let t = try? btf.type(id) else { continue }
                if t.kind == root.kind || (Set([t.kind, root.kind]).isSubset(of: [.enum, .enum64])) {
                    found.append((btf, id))
                }
            }
        }
        candidates[key] = found
        return found
    }
}
