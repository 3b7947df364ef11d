import BPFObject
import ELF64
import Testing

@Suite("Instructions and the disassembler")
struct InstructionTests {
    @Test("encode and decode round trip in both byte orders; register nibbles swap in big endian")
    func roundTrip() {
        let insn = Instruction(opcode: 0x61, destination: 1, source: 10, offset: -4, immediate: 0x1234_5678)
        for order in [ByteOrder.little, .big] {
            var bytes: [UInt8] = []
            insn.append(to: &bytes, order: order)
            #expect(bytes.count == 8)
            #expect(bytes[1] == (order == .little ? 0xa1 : 0x1a))
            let decoded = bytes.withUnsafeBytes { Instruction(Record($0, order: order)) }
            #expect(decoded == insn)
        }
    }

    @Test(
        "verifier syntax",
        arguments: [
            (Instruction(opcode: 0x61, destination: 1, source: 10, offset: -4), "r1 = *(u32 *)(r10 -4)"),
            (Instruction(opcode: 0x7b, destination: 10, source: 1, offset: -16), "*(u64 *)(r10 -16) = r1"),
            (Instruction(opcode: 0x62, destination: 10, offset: -8, immediate: 0), "*(u32 *)(r10 -8) = 0"),
            (Instruction(opcode: 0x85, immediate: 1), "call bpf_map_lookup_elem#1"),
            (Instruction(opcode: 0x85, source: 1, immediate: 5), "call pc+5"),
            (Instruction(opcode: 0x05, offset: 3), "goto pc+3"),
            (Instruction(opcode: 0x2d, destination: 1, source: 2, offset: -2), "if r1 > r2 goto pc-2"),
            (Instruction(opcode: 0x15, destination: 0, offset: 1, immediate: 0), "if r0 == 0x0 goto pc+1"),
            (Instruction(opcode: 0x07, destination: 1, immediate: -8), "r1 += -8"),
            (Instruction(opcode: 0xbf, destination: 6, source: 1), "r6 = r1"),
            (Instruction(opcode: 0xb4, destination: 0, immediate: 2), "w0 = 2"),
            (Instruction(opcode: 0x87, destination: 3), "r3 = -r3"),
            (
                Instruction(opcode: 0xdb, destination: 1, source: 2, immediate: 1),
                "r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)"
            ),
            (Instruction(opcode: 0xc3, destination: 1, source: 2, immediate: 0), "lock *(u32 *)(r1 +0) += r2"),
            (Instruction(opcode: 0x95), "exit"),
        ])
    func syntax(_ insn: Instruction, _ expected: String) {
        #expect(Disassembler().text(insn) == expected)
    }

    @Test("ld_imm64 spans two slots and can be described")
    func loadImmediate() {
        let code = [
            Instruction(opcode: 0x18, destination: 1, source: 1, immediate: 3), Instruction(opcode: 0),
            Instruction(opcode: 0x95),
        ]
        #expect(Disassembler().lines(code) == ["0: (18) r1 = 0x3", "2: (95) exit"])
        let named = Disassembler { _, insn in insn.source == 1 ? "map[counts]" : nil }
        #expect(named.lines(code).first == "0: (18) r1 = map[counts]")
    }
}
