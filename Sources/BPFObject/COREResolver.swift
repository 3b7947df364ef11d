import BTF
import ELF64

/// Resolves CO-RE relocations of one object against target BTFs, caching candidates per local type.
struct COREResolver {
    let local: BTF
    let targets: [BTF]
    /// Candidates by the local root's essential name and kind (local types sharing a name share the walk).
    private var candidates: [CandidateKey: [(btf: BTF, id: TypeID)]] = [:]
    /// Each target's flavored types (`name___flavor`) by essential name, per kind: found on first
    /// need, in one pass over that kind (libbpf compares every target type's essential name).
    private var flavored: [FlavorKey: [String: [TypeID]]] = [:]
    /// Each relocation's outcome by local type, access string and kind: identical relocations
    /// (a hostile object repeats one thousands of times) are matched once against the candidates.
    private var matches: [MatchKey: (first: CandidateMatch?, lastMiss: String)] = [:]

    struct FlavorKey: Hashable {
        let target: Int
        let kind: Kind
    }

    struct MatchKey: Hashable {
        let type: TypeID
        let access: UInt32
        let kind: UInt32
    }

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

    /// A record's local side: its access steps, the value the compiler assumed (and the field it
    /// read), each step's member name (`nil` for an array index), and the access spelled as C.
    struct LocalAccess {
        let steps: [Int]
        let value: UInt64
        let field: FieldLocation?
        let names: [String?]
        let spelled: String
    }

    /// One target candidate a record matches: what it gives there.
    struct CandidateMatch {
        let match: TargetMatch
        let btf: BTF
        let id: TypeID
    }

    /// Resolves one record and patches (or poisons) its instruction.
    mutating func resolve(
        _ record: CORERelocation, kind: CORERelocationKind, program: String, instruction index: Int,
        in instructions: inout [Instruction]
    ) throws(ObjectError) -> COREOutcome {
        func fail(_ problem: COREProblem) -> ObjectError {
            .invalidInstruction(program: program, instruction: index, reason: .core(problem))
        }
        let localAccess = try self.localAccess(record, kind: kind, fail: fail)
        let (localValue, localField, spelled) = (localAccess.value, localAccess.field, localAccess.spelled)
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
        let (first, lastMiss) = try agreedMatch(record, kind: kind, localAccess, fail: fail)
        if let first {
            try Self.patch(
                &instructions, at: index, value: first.match.value,
                expected: localField?.isBitfield == true ? nil : localValue,
                sizes: localField.flatMap { l in first.match.field.map { (l.byteSize, $0.byteSize, $0.isBitfield) } },
                fail: patchFailure)
            return outcome(first.match.value)
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

    /// The first target candidate `record` matches (libbpf's target spec: the candidate, and for a
    /// field its access there), `nil` when none does or the relocation needs no target; candidates
    /// that disagree are an error, as in ``resolve(_:kind:program:instruction:in:)``.
    mutating func firstMatch(
        _ record: CORERelocation, kind: CORERelocationKind, section: String, instruction index: Int
    ) throws(ObjectError) -> CandidateMatch? {
        guard kind != .typeIDLocal else { return nil }
        func fail(_ problem: COREProblem) -> ObjectError {
            .invalidInstruction(program: section, instruction: index, reason: .core(problem))
        }
        return try agreedMatch(record, kind: kind, try localAccess(record, kind: kind, fail: fail), fail: fail).first
    }

    /// The local side of `record`, checked: its access string parsed and walked through the local BTF.
    private func localAccess(
        _ record: CORERelocation, kind: CORERelocationKind, fail: (COREProblem) -> ObjectError
    ) throws(ObjectError) -> LocalAccess {
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
        do {
            let localRoot = try local.type(record.typeID)
            switch kind {
            case _ where kind.isField:
                let (location, names, text) = try Self.locateLocal(local, root: record.typeID, steps: steps)
                return LocalAccess(
                    steps: steps, value: try Self.fieldValue(kind, location, order: local.byteOrder), field: location,
                    names: names, spelled: text)
            case _ where kind.isEnum:
                let enumType = try local.type(try local.resolve(record.typeID))
                guard enumType.kind == .enum || enumType.kind == .enum64, steps.count == 1, steps[0] < enumType.vlen
                else {
                    throw fail(.notEnumerator(access: accessText, typeID: record.typeID))
                }
                let enumerator = enumType.enumerators[steps[0]]
                return LocalAccess(
                    steps: steps, value: kind == .enumValueExists ? 1 : enumerator.value, field: nil,
                    names: [String(enumerator.name)],
                    spelled: "\(CORE.essentialName(String(localRoot.name)))::\(enumerator.name)")
            default:
                guard steps == [0] else { throw fail(.typeRelocationAccess(accessText)) }
                let value: UInt64 =
                    switch kind {
                    case .typeIDLocal, .typeIDTarget: UInt64(record.typeID)
                    case .typeSize: UInt64(try local.size(of: record.typeID))
                    default: 1
                    }
                return LocalAccess(
                    steps: steps, value: value, field: nil, names: [],
                    spelled: localRoot.name.isEmpty ? "[\(record.typeID)]" : String(localRoot.name))
            }
        } catch {
            throw .converting(error)
        }
    }

    /// The first candidate the record matches, every other match agreeing with it (else an error
    /// naming both), and why the last candidate that did not match failed.
    private mutating func agreedMatch(
        _ record: CORERelocation, kind: CORERelocationKind, _ localAccess: LocalAccess,
        fail: (COREProblem) -> ObjectError
    ) throws(ObjectError) -> (first: CandidateMatch?, lastMiss: String) {
        let key = MatchKey(type: record.typeID, access: record.accessStringOffset, kind: kind.rawValue)
        if let known = matches[key] { return known }
        var results: [CandidateMatch] = []
        let rootName = (try? local.type(record.typeID)).map { String($0.name) } ?? ""
        var lastMiss = "no type named '\(CORE.essentialName(rootName))' in the target BTF"
        for (btf, id) in candidatesFor(record.typeID, kind: kind) {
            do {
                let match = try Self.targetValue(
                    kind, btf: btf, root: id, steps: localAccess.steps, names: localAccess.names, local: local,
                    localRoot: record.typeID)
                results.append(CandidateMatch(match: match, btf: btf, id: id))
            } catch let miss as Miss {
                lastMiss = miss.reason
            } catch {
                lastMiss = "\(error)"
            }
        }
        guard let first = results.first else {
            matches[key] = (nil, lastMiss)
            return (nil, lastMiss)
        }
        if let other = results.first(where: { $0.match.value != first.match.value }) {
            throw fail(
                .ambiguous(
                    kind: kind, access: localAccess.spelled, first: "[\(first.id)]", firstValue: first.match.value,
                    second: "[\(other.id)]", secondValue: other.match.value))
        }
        matches[key] = (first, lastMiss)
        return (first, lastMiss)
    }

    /// Target types with the local root's essential name and a compatible kind, from every target BTF:
    /// of that name exactly, or flavored (`name___suffix`), as libbpf compares essential names; in
    /// id order within each target.
    private mutating func candidatesFor(_ localRoot: TypeID, kind: CORERelocationKind) -> [(btf: BTF, id: TypeID)] {
        guard let root = try? local.type(localRoot), !root.name.isEmpty else { return [] }
        let name = CORE.essentialName(String(root.name))
        // enum and enum64 match each other: one key for both.
        let key = CandidateKey(name: name, kind: root.kind == .enum64 ? .enum : root.kind)
        if let cached = candidates[key] { return cached }
        let kinds: [Kind] = root.kind == .enum || root.kind == .enum64 ? [.enum, .enum64] : [root.kind]
        var found: [(BTF, TypeID)] = []
        for (index, btf) in targets.enumerated() {
            var ids: [TypeID] = []
            // Split BTF lists its base's types too: take only its own, the base is a target of its own.
            for id in btf.typeIDs(named: name) where btf.base == nil || id >= btf.firstID {
                guard let t = try? btf.type(id), kinds.contains(t.kind) else { continue }
                ids.append(id)
            }
            for kind in kinds { ids += flavoredTypes(of: index, kind: kind)[name] ?? [] }
            found += ids.sorted().map { (btf, $0) }
        }
        candidates[key] = found
        return found
    }

    /// Target `index`'s types of `kind` whose names carry a flavor, by essential name.
    private mutating func flavoredTypes(of index: Int, kind: Kind) -> [String: [TypeID]] {
        let key = FlavorKey(target: index, kind: kind)
        if let known = flavored[key] { return known }
        let btf = targets[index]
        var table: [String: [TypeID]] = [:]
        btf.forEachType(ofKind: kind) { id, name in
            guard btf.base == nil || id >= btf.firstID, name.count > 3 else { return }
            // Most names have no "___": found by a byte scan, no String made for them.
            let bytes = name.utf8
            var index = 0
            while index + 2 < bytes.count {
                if bytes[index] == 0x5f, bytes[index + 1] == 0x5f, bytes[index + 2] == 0x5f {
                    table[String(decoding: bytes[..<index], as: UTF8.self), default: []].append(id)
                    return
                }
                index += 1
            }
        }
        flavored[key] = table
        return table
    }

}
