import BPFObject
import BTF
import Glibc
import Synchronization

/// What this kernel supports, found by trying, once per process, thread-safely.
public enum Features {
    private static let bindProbes = Atomic<Int>(0)

    /// Whether `BPF_PROG_BIND_MAP` works: a one-entry array map is bound to a
    /// `r0 = 0; exit` socket filter. Everything the probe makes is closed.
    /// Kernels without the command (`EINVAL`) report false rather than failing.
    public static let programBindMap: Bool = {
        bindProbes.add(1, ordering: .relaxed)
        do {
            let map = try MapCommands.create(
                MapAttributes(type: .array, keySize: 4, valueSize: 4, maxEntries: 1, name: "sbpf_probe_bind"))
            var attributes = ProgramAttributes(
                type: .socketFilter,
                instructions: [
                    Instruction(opcode: 0xb7, destination: 0, immediate: 0),  // r0 = 0
                    Instruction(opcode: 0x95),  // exit
                ], license: "GPL")
            attributes.name = "sbpf_probe_bind"
            let program = try ProgramCommands.load(attributes)
            try ProgramCommands.bindMap(program: program.rawValue, map: map.rawValue)
            return true
        } catch {
            return false
        }
    }()

    /// The BTF kinds this kernel accepts, each found by loading a small blob that uses it.
    public static let btfKinds: BTFKindSupport = {
        var supported: BTFKindSupport = []
        let int = TypeRecord.int("int", size: 4, encoding: .signed)
        let proto = TypeRecord(kind: .functionProto, vlen: 1, sizeOrType: 1, trailing: [.name("x"), .value(1)])
        let candidates: [(BTFKindSupport, [TypeRecord])] = [
            (.functions, [int, proto, TypeRecord(kind: .function, name: "f", vlen: 0, sizeOrType: 2)]),
            (.globalFunctions, [int, proto, TypeRecord(kind: .function, name: "f", vlen: 1, sizeOrType: 2)]),
            (
                .dataSections,
                [
                    int, TypeRecord(kind: .variable, name: "v", sizeOrType: 1, trailing: [.value(0)]),
                    TypeRecord(
                        kind: .dataSection, name: ".data", vlen: 1, sizeOrType: 4,
                        trailing: [.value(2), .value(0), .value(4)]),
                ]
            ),
            (.float, [TypeRecord(kind: .float, name: "float", sizeOrType: 4)]),
            (
                .declTag,
                [
                    int, TypeRecord(kind: .variable, name: "v", sizeOrType: 1, trailing: [.value(0)]),
                    TypeRecord(kind: .declTag, name: "tag", sizeOrType: 2, trailing: [.value(UInt32(bitPattern: -1))]),
                ]
            ),
            (.typeTag, [int, TypeRecord(kind: .typeTag, name: "tag", sizeOrType: 1), .pointer(to: 2)]),
            (
                .enum64,
                [
                    TypeRecord(
                        kind: .enum64, name: "e", vlen: 1, sizeOrType: 8, trailing: [.name("A"), .value(1), .value(1)])
                ]
            ),
        ]
        for (feature, types) in candidates {
            if (try? BTFCommands.load(BTFBuilder(types: types).encode(byteOrder: .host))) != nil {
                supported.insert(feature)
            }
        }
        return supported
    }()

    /// How many times the `BPF_PROG_BIND_MAP` probe has actually run in this process (once, however many ask).
    public static var programBindMapProbeRuns: Int { bindProbes.load(ordering: .relaxed) }
}
