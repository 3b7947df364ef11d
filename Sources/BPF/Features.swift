import BPFObject
import Glibc
import Synchronization

/// What this kernel supports, found by trying, once per process, thread-safely.
public enum Features {
    private static let probes = Atomic<Int>(0)

    /// Whether `BPF_PROG_BIND_MAP` works: a one-entry array map is bound to a
    /// `r0 = 0; exit` socket filter. Everything the probe makes is closed.
    /// Kernels without the command (`EINVAL`) report false rather than failing.
    public static let programBindMap: Bool = {
        probes.add(1, ordering: .relaxed)
        do {
            let map = try MapCommands.create(MapAttributes(type: .array, keySize: 4, valueSize: 4, maxEntries: 1, name: "sbpf_probe_bind"))
            var attributes = ProgramAttributes(type: .socketFilter, instructions: [
                Instruction(opcode: 0xb7, destination: 0, immediate: 0),  // r0 = 0
                Instruction(opcode: 0x95),  // exit
            ], license: "GPL")
            attributes.name = "sbpf_probe_bind"
            let program = try ProgramCommands.load(attributes)
            try ProgramCommands.bindMap(program: program, map: map)
            return true
        } catch {
            return false
        }
    }()

    /// How many times a probe has actually run in this process (for tests: once each).
    public static var probeRuns: Int { probes.load(ordering: .relaxed) }
}
