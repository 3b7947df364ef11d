/// Prints instructions in the kernel verifier's syntax (`kernel/bpf/disasm.c`):
/// `r1 = *(u32 *)(r10 -4)`, `call bpf_map_lookup_elem#1`, `if r1 > r2 goto pc+3`.
public struct Disassembler: Sendable {
    /// Names what an `ld_imm64` refers to (a map, a data offset, a function), given its index; nil for the raw value.
    public var describeLoad: @Sendable (Int, Instruction) -> String?

    public init(describeLoad: @escaping @Sendable (Int, Instruction) -> String? = { _, _ in nil }) {
        self.describeLoad = describeLoad
    }

    /// One line per instruction slot: `index: (opcode) text`; the second slot of `ld_imm64` is skipped.
    public func lines(_ instructions: [Instruction]) -> [String] { lines(instructions, in: instructions.indices) }

    /// The lines of the instructions in `range` only, numbered by their index in `instructions`.
    public func lines(_ instructions: [Instruction], in range: Range<Int>) -> [String] {
        var out: [String] = []
        var i = range.lowerBound
        while i < range.upperBound {
            let insn = instructions[i]
            let opcode = String(insn.opcode, radix: 16)
            let prefix = "\(i): (\(opcode.count < 2 ? "0" + opcode : opcode)) "
            if insn.isLoadImmediate64, i + 1 < instructions.count {
                out.append(prefix + text(load: insn, high: instructions[i + 1].immediate, at: i))
                i += 2
            } else {
                out.append(prefix + text(insn))
                i += 1
            }
        }
        return out
    }

    /// The text of an `ld_imm64` at `index` whose second slot holds `high`.
    public func text(load insn: Instruction, high: Int32, at index: Int) -> String {
        if let described = describeLoad(index, insn) { return "r\(insn.destination) = \(described)" }
        let value = UInt64(UInt32(bitPattern: high)) << 32 | UInt64(UInt32(bitPattern: insn.immediate))
        return "r\(insn.destination) = 0x\(String(value, radix: 16))"
    }

    static let sizes = ["u32", "u16", "u8", "u64"]
    static let signedSizes = ["s32", "s16", "s8", "s64"]
    static let aluOperators: [UInt8: String] = [
        0x00: "+=", 0x10: "-=", 0x20: "*=", 0x30: "/=", 0x40: "|=", 0x50: "&=", 0x60: "<<=", 0x70: ">>=",
        0x90: "%=", 0xa0: "^=", 0xb0: "=", 0xc0: "s>>=",
    ]
    static let jumpOperators: [UInt8: String] = [
        0x10: "==", 0x20: ">", 0x30: ">=", 0x40: "&", 0x50: "!=", 0x60: "s>", 0x70: "s>=",
        0xa0: "<", 0xb0: "<=", 0xc0: "s<", 0xd0: "s<=",
    ]

    /// The text of one (non-`ld_imm64`) instruction.
    public func text(_ insn: Instruction) -> String {
        let op = insn.opcode & 0xf0, usesRegister = insn.opcode & 0x08 != 0
        let size = Int((insn.opcode >> 3) & 0x3), mode = insn.opcode & 0xe0
        let dst = insn.destination, src = insn.source, off = insn.offset, imm = insn.immediate
        func signed(_ v: Int16) -> String { v < 0 ? "\(v)" : "+\(v)" }
        switch insn.instructionClass {
        case 0x07, 0x04:  // ALU64, ALU
            let r = insn.instructionClass == 0x07 ? "r" : "w"
            if op == 0x80 { return "\(r)\(dst) = -\(r)\(dst)" }
            if op == 0xd0 {  // BPF_END
                let kind = insn.instructionClass == 0x07 ? "bswap" : (usesRegister ? "be" : "le")
                return "\(r)\(dst) = \(kind)\(imm) \(r)\(dst)"
            }
            if op == 0xb0, usesRegister, off != 0 { return "\(r)\(dst) = (s\(off))\(r)\(src)" }
            guard var symbol = Self.aluOperators[op] else {
                return "invalid alu opcode 0x\(String(insn.opcode, radix: 16))"
            }
            if off == 1, op == 0x30 { symbol = "s/=" }
            if off == 1, op == 0x90 { symbol = "s%=" }
            return "\(r)\(dst) \(symbol) " + (usesRegister ? "\(r)\(src)" : "\(imm)")
        case 0x01:  // LDX
            let kind = mode == 0x80 ? Self.signedSizes[size] : Self.sizes[size]
            return "r\(dst) = *(\(kind) *)(r\(src) \(signed(off)))"
        case 0x03:  // STX
            if mode == 0xc0 { return atomic(insn, size: size) }
            return "*(\(Self.sizes[size]) *)(r\(dst) \(signed(off))) = r\(src)"
        case 0x02:  // ST
            return "*(\(Self.sizes[size]) *)(r\(dst) \(signed(off))) = \(imm)"
        case 0x00:  // LD (legacy packet access)
            if mode == 0x20 { return "r0 = *(\(Self.sizes[size]) *)skb[\(imm)]" }
            if mode == 0x40 { return "r0 = *(\(Self.sizes[size]) *)skb[r\(src) + \(imm)]" }
            return "invalid ld opcode 0x\(String(insn.opcode, radix: 16))"
        case 0x05, 0x06:  // JMP, JMP32
            let r = insn.instructionClass == 0x05 ? "r" : "w"
            switch op {
            case 0x00:
                return insn.instructionClass == 0x06
                    ? "gotol pc\(imm < 0 ? "\(imm)" : "+\(imm)")" : "goto pc\(signed(off))"
            case 0x80:
                if src == PseudoSource.call { return "call pc\(imm < 0 ? "\(imm)" : "+\(imm)")" }
                if src == PseudoSource.kfuncCall { return "call kfunc#\(imm)" }
                let name = imm >= 0 && Int(imm) < helperNames.count ? "bpf_" + helperNames[Int(imm)] : "unknown"
                return "call \(name)#\(imm)"
            case 0x90: return "exit"
            default:
                guard let symbol = Self.jumpOperators[op] else {
                    return "invalid jmp opcode 0x\(String(insn.opcode, radix: 16))"
                }
                let right = usesRegister ? "\(r)\(src)" : "0x\(String(UInt32(bitPattern: imm), radix: 16))"
                return "if \(r)\(dst) \(symbol) \(right) goto pc\(signed(off))"
            }
        default:
            return "invalid class 0x\(String(insn.opcode, radix: 16))"
        }
    }

    private func atomic(_ insn: Instruction, size: Int) -> String {
        let width = size == 3 ? "64" : "", kind = Self.sizes[size]
        let place = "(\(kind) *)(r\(insn.destination) \(insn.offset < 0 ? "\(insn.offset)" : "+\(insn.offset)"))"
        let operation = insn.immediate & ~0x01
        let names: [Int32: (String, String)] = [
            0x00: ("+=", "add"), 0x40: ("|=", "or"), 0x50: ("&=", "and"), 0xa0: ("^=", "xor"),
        ]
        if let (symbol, word) = names[operation] {
            if insn.immediate & 0x01 != 0 {
                return "r\(insn.source) = atomic\(width)_fetch_\(word)(\(place), r\(insn.source))"
            }
            return "lock *\(place) \(symbol) r\(insn.source)"
        }
        switch insn.immediate {
        case 0xe1: return "r\(insn.source) = atomic\(width)_xchg(\(place), r\(insn.source))"
        case 0xf1: return "r0 = atomic\(width)_cmpxchg(\(place), r0, r\(insn.source))"
        default: return "invalid atomic operation 0x\(String(insn.immediate, radix: 16))"
        }
    }
}
