import BTF
import ELF64

/// `enum bpf_core_relo_kind`.
public enum CORERelocationKind: UInt32, Sendable, CustomStringConvertible {
    case fieldByteOffset = 0, fieldByteSize, fieldExists, fieldSigned, fieldLShiftU64, fieldRShiftU64
    case typeIDLocal, typeIDTarget, typeExists, typeSize, enumValueExists, enumValue, typeMatches

    public var description: String {
        [
            "byte_off", "byte_sz", "field_exists", "signed", "lshift_u64", "rshift_u64", "local_type_id",
            "target_type_id", "type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches",
        ][Int(rawValue)]
    }

    var isField: Bool { rawValue <= 5 }
    var isType: Bool { (6...9).contains(rawValue) || self == .typeMatches }
    var isEnum: Bool { self == .enumValueExists || self == .enumValue }
}

/// What became of one CO-RE relocation.
public struct COREOutcome: Sendable, CustomStringConvertible {
    public let program: String
    /// Instruction index within the program.
    public let instruction: Int
    public let kind: CORERelocationKind
    /// The access spelled as C, e.g. `task_struct->real_parent`.
    public let access: String
    /// The value written into the instruction, or `nil` when the instruction was poisoned.
    public let value: UInt64?
    /// Why the relocation could not be satisfied (poisoned), empty otherwise.
    public let reason: String

    public var description: String {
        let what = "\(program) insn \(instruction): \(kind) \(access)"
        return value.map { "\(what) = \($0)" } ?? "\(what): poisoned (\(reason))"
    }
}

/// A step of an access string: an array index or a member (with its name).
struct AccessStep {
    let index: Int
    let memberName: String?
}

/// The location an access resolves to in one BTF.
struct FieldLocation: Equatable {
    var bitOffset: Int
    var bitSize: Int
    var byteSize: Int
    var isBitfield: Bool
    var isSigned: Bool
    var typeID: TypeID
}

/// CO-RE: relocation of field offsets, sizes, type ids and enum values from the
/// object's BTF (local) to the running kernel's (target), as libbpf's relo_core does.
public enum CORE {
    /// The helper id libbpf uses to poison an unsatisfiable relocation: the verifier rejects
    /// the program only if that instruction is reachable.
    public static let poisonHelper: Int32 = 0xbad2310

    /// The most steps an access string may have (libbpf's `BPF_CORE_SPEC_MAX_LEN`).
    public static let maximumAccessLength = 64
    /// The longest access string read: 64 ten-digit steps and their colons.
    public static let maximumAccessStringLength = 64 * 11

    /// A type name without its `___flavor` suffix.
    public static func essentialName(_ name: String) -> String {
        let utf8 = Array(name.utf8)
        guard utf8.count >= 3 else { return name }
        for i in 0...(utf8.count - 3) where utf8[i] == 0x5f && utf8[i + 1] == 0x5f && utf8[i + 2] == 0x5f {
            return String(decoding: utf8[..<i], as: UTF8.self)
        }
        return name
    }
}

extension ObjectSpec {
    /// Applies the object's CO-RE relocations to its programs' instructions against `targets`
    /// (vmlinux first, then module BTF). Unsatisfiable relocations poison their instruction;
    /// ambiguous ones and malformed records are errors. Returns what happened to each.
    public mutating func relocateCORE(against targets: [BTF]) throws(ObjectError) -> [COREOutcome] {
        guard let btf, let ext = btfExt, !ext.coreRelocations.isEmpty else { return [] }
        defer { shareRelocationsWithAliases() }  // a record reaches the last of an alias group; a throw too
        var outcomes: [COREOutcome] = []
        var resolver = COREResolver(local: btf, targets: targets)
        // The programs of the first section of each name (contiguous, by offset): a record's program
        // is then found by binary search, not by a scan of every program.
        var sectionPrograms: [String: Range<Int>] = [:]
        for (index, program) in programs.enumerated() {
            if let range = sectionPrograms[program.sectionName] {
                if range.upperBound == index, programs[range.lowerBound].sectionIndex == program.sectionIndex {
                    sectionPrograms[program.sectionName] = range.lowerBound..<index + 1
                }
            } else {
                sectionPrograms[program.sectionName] = index..<index + 1
            }
        }
        for section in ext.coreRelocations {
            let candidates = sectionPrograms[String(section.name)] ?? 0..<0
            for record in section.records {
                let byteOffset = Int(record.instructionOffset)
                guard byteOffset % Instruction.size == 0,
                    let p = Self.program(containing: byteOffset / Instruction.size, among: candidates, programs)
                else {
                    throw .invalidInstruction(
                        program: String(section.name), instruction: byteOffset / Instruction.size,
                        reason: .coreOutsideFunctions)
                }
                let index = byteOffset / Instruction.size - programs[p].sectionOffset
                guard let kind = CORERelocationKind(rawValue: record.kind) else {
                    throw .invalidInstruction(
                        program: programs[p].name, instruction: index, reason: .unknownCOREKind(record.kind))
                }
                let outcome = try resolver.resolve(
                    record, kind: kind, program: programs[p].name, instruction: index,
                    in: &programs[p].instructions)
                outcomes.append(outcome)
            }
        }
        return outcomes
    }
}
