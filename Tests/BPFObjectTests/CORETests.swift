import BPFObject
import BTF
import ELF64
import Foundation
import TestSupport
import Testing

@Suite(
    "CO-RE relocation",
    .enabled(if: FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") || Host.required, "no kernel BTF"))
struct CORETests {
    let vmlinux: BTF
    let outcomes: [COREOutcome]
    let relocated: ObjectSpec

    init() throws {
        vmlinux = try BTF(contentsOfFile: "/sys/kernel/btf/vmlinux")
        var spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/core.bpfel.o")
        outcomes = try spec.relocateCORE(against: [vmlinux])
        relocated = spec
    }

    /// The kernel's `struct task_struct` member `name`, found with the BTF reader alone.
    func member(_ name: String) throws -> Member {
        let task = try vmlinux.type(try #require(vmlinux.firstTypeID(named: "task_struct", kind: .struct)))
        return try #require(task.members.first { $0.name == name })
    }

    func values(_ kind: CORERelocationKind, _ access: String) -> [UInt64?] {
        outcomes.filter { $0.kind == kind && $0.access == access }.map(\.value)
    }

    @Test("field offsets and sizes equal what the kernel's BTF says")
    func fields() throws {
        #expect(outcomes.count == 16)
        let pid = try member("pid"), parent = try member("real_parent"), tgid = try member("tgid")
        // task and the ___local flavor
        #expect(values(.fieldByteOffset, "task_struct->pid") == [UInt64(pid.bitOffset / 8), UInt64(pid.bitOffset / 8)])
        #expect(values(.fieldByteOffset, "task_struct->real_parent") == [UInt64(parent.bitOffset / 8)])
        #expect(values(.fieldByteOffset, "task_struct->tgid") == [UInt64(tgid.bitOffset / 8)])
        #expect(values(.fieldByteSize, "task_struct->pid") == [4])
        #expect(values(.fieldExists, "task_struct->pid") == [1])
        #expect(values(.typeExists, "task_struct") == [1])
        #expect(values(.enumValue, "bpf_prog_type::BPF_PROG_TYPE_XDP") == [6])
    }

    @Test("a bitfield: load offset, size and shifts from its bit position")
    func bitfield() throws {
        let field = try member("sched_reset_on_fork")
        #expect(field.bitfieldSize == 1)
        let size = 4, bit = Int(field.bitOffset)
        let byteOffset = bit / 8 / size * size
        #expect(values(.fieldByteOffset, "task_struct->sched_reset_on_fork") == [UInt64(byteOffset)])
        #expect(values(.fieldByteSize, "task_struct->sched_reset_on_fork") == [UInt64(size)])
        #expect(
            values(.fieldLShiftU64, "task_struct->sched_reset_on_fork") == [UInt64(64 - (bit + 1 - byteOffset * 8))])
        let rshifts = values(.fieldRShiftU64, "task_struct->sched_reset_on_fork")
        #expect(!rshifts.isEmpty && rshifts.allSatisfy { $0 == 63 })
    }

    @Test("a field the kernel lacks: its existence is 0, its read is poisoned with a readable report")
    func missing() throws {
        #expect(values(.fieldExists, "task_struct->no_such_field_in_kernel") == [0])
        let poisoned = try #require(outcomes.first { $0.value == nil })
        #expect(poisoned.access == "task_struct->no_such_field_in_kernel" && poisoned.kind == .fieldByteOffset)
        #expect(poisoned.reason.contains("no member 'no_such_field_in_kernel'"))
        #expect(
            "\(poisoned)".hasPrefix(
                "core_reads insn \(poisoned.instruction): byte_off task_struct->no_such_field_in_kernel: poisoned"))
        let program = try #require(relocated.program(named: "core_reads"))
        #expect(program.instructions[poisoned.instruction] == Instruction(opcode: 0x85, immediate: CORE.poisonHelper))
    }

    @Test("relocated instructions carry the values")
    func patched() throws {
        let program = try #require(relocated.program(named: "core_reads"))
        for outcome in outcomes {
            guard let value = outcome.value else { continue }
            let insn = program.instructions[outcome.instruction]
            switch insn.instructionClass {
            case 0x01, 0x02, 0x03: #expect(UInt64(insn.offset) == value)
            case 0x00: #expect(UInt64(UInt32(bitPattern: insn.immediate)) == value & 0xffff_ffff)
            default: #expect(UInt64(UInt32(bitPattern: insn.immediate)) == value)
            }
        }
    }

    @Test("essential names drop flavors")
    func essentialNames() {
        #expect(CORE.essentialName("task_struct___local") == "task_struct")
        #expect(CORE.essentialName("task_struct") == "task_struct")
        #expect(CORE.essentialName("a___b___c") == "a")
        #expect(CORE.essentialName("__x") == "__x")
    }
}

@Suite("CO-RE on cilium's test objects (../shared/corpus, when present)")
struct CorpusCORETests {
    static let dir = TestPaths.corpus + "/cilium-ebpf/btf/testdata/"

    @Test(
        "relocs_read against relocs_read_tgt: every relocation resolves, in both byte orders", arguments: ["el", "eb"])
    func relocsRead(order: String) throws {
        guard FileManager.default.fileExists(atPath: Self.dir + "relocs_read-\(order).elf") else { return }
        var spec = try ObjectSpec(contentsOfFile: Self.dir + "relocs_read-\(order).elf")
        let target = try BTF(contentsOfFile: Self.dir + "relocs_read_tgt-\(order).elf")
        let outcomes = try spec.relocateCORE(against: [target])
        #expect(!outcomes.isEmpty)
        #expect(outcomes.allSatisfy { $0.value != nil }, "\(outcomes.filter { $0.value == nil })")
    }
}

@Suite("Hostile CO-RE records")
struct HostileCORETests {
    /// core.bpfel.o with a word of its first CO-RE record replaced (field 1: type id, 2: access string, 3: kind).
    static func corrupted(field: Int, value: UInt32) throws -> ObjectSpec {
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: TestPaths.testData + "/obj/core.bpfel.o")))
        let ext = try bytes.withUnsafeBytes { raw in
            try #require(try ELFFile(unsafeBytes: raw).section(named: ".BTF.ext")).offset
        }
        func word(_ at: Int) -> Int { bytes[at..<at + 4].reversed().reduce(0) { $0 << 8 | Int($1) } }
        let start = Int(ext)
        let core = start + word(start + 4) + word(start + 24)  // hdr_len + core_relo_off
        let record = core + 4 + 8  // record size, then section name and count
        withUnsafeBytes(of: value.littleEndian) { for (i, b) in $0.enumerated() { bytes[record + 4 * field + i] = b } }
        return try ObjectSpec(elf: ELFFile(ByteStorage(copying: bytes)), name: "core")
    }

    @Test(
        "bad type ids, string offsets and kinds are typed errors",
        arguments: [(1, UInt32(0x7fff_ffff)), (2, 0x7fff_ffff), (3, 77)])
    func corrupt(field: Int, value: UInt32) throws {
        var spec = try Self.corrupted(field: field, value: value)
        let vmlinux = try BTF(contentsOfFile: TestPaths.testData + "/obj/core.bpfel.o")  // any target will do
        #expect(throws: ObjectError.self) { try spec.relocateCORE(against: [vmlinux]) }
    }
}
