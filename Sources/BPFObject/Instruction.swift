import ELF64

/// One 8-byte `struct bpf_insn`; `ld_imm64` spans two of them.
public struct Instruction: Hashable, Sendable {
    /// The instruction as the 8 bytes of a little-endian `bpf_insn`, read as a little-endian word:
    /// decoding a little-endian object is then a copy.
    private var word: UInt64

    public var opcode: UInt8 {
        get { UInt8(truncatingIfNeeded: word) }
        set { word = word & ~0xff | UInt64(newValue) }
    }
    public var destination: UInt8 {
        get { UInt8(truncatingIfNeeded: word >> 8) & 0xf }
        set { word = word & ~0xf00 | UInt64(newValue & 0xf) << 8 }
    }
    public var source: UInt8 {
        get { UInt8(truncatingIfNeeded: word >> 12) & 0xf }
        set { word = word & ~0xf000 | UInt64(newValue & 0xf) << 12 }
    }
    public var offset: Int16 {
        get { Int16(truncatingIfNeeded: word >> 16) }
        set { word = word & ~0xffff_0000 | UInt64(UInt16(bitPattern: newValue)) << 16 }
    }
    public var immediate: Int32 {
        get { Int32(truncatingIfNeeded: word >> 32) }
        set { word = word & 0xffff_ffff | UInt64(UInt32(bitPattern: newValue)) << 32 }
    }

    public static let size = 8

    public init(opcode: UInt8, destination: UInt8 = 0, source: UInt8 = 0, offset: Int16 = 0, immediate: Int32 = 0) {
        word =
            UInt64(opcode) | UInt64(destination & 0xf) << 8 | UInt64(source & 0xf) << 12
            | UInt64(UInt16(bitPattern: offset)) << 16 | UInt64(UInt32(bitPattern: immediate)) << 32
    }

    /// Decodes an instruction stored in `order` (the register nibbles swap places in big-endian objects).
    public init(_ r: Record) {
        let registers = r.u8(1)
        self.init(
            opcode: r.u8(0),
            destination: r.order == .little ? registers & 0xf : registers >> 4,
            source: r.order == .little ? registers >> 4 : registers & 0xf,
            offset: Int16(bitPattern: r.u16(2)), immediate: r.i32(4))
    }

    /// Decodes `bytes` (a whole number of instructions) stored in `order`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, order: ByteOrder) -> [Instruction] {
        let count = bytes.count / size
        guard count > 0, let base = bytes.baseAddress else { return [] }
        var instructions = [Instruction](filling: count, with: Instruction(word: 0))
        instructions.withUnsafeMutableBufferPointer { buffer in
            let out = buffer.baseAddress.unsafelyUnwrapped
            if order == .little, ByteOrder.host == .little, MemoryLayout<Instruction>.stride == size {
                UnsafeMutableRawPointer(out).copyMemory(from: base, byteCount: count * size)
            } else {
                // `count` whole instructions lie in `bytes`.
                let words = Record(bytes, order: order)
                for i in 0..<count {
                    out[i] =
                        order == .little
                        ? Instruction(word: words.u64(i * size)) : Instruction(words.record(at: i * size, size: size))
                }
            }
        }
        return instructions
    }

    private init(word: UInt64) { self.word = word }

    /// The bytes of `instructions` in `order`.
    public static func encode(_ instructions: [Instruction], order: ByteOrder) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(instructions.count * size)
        for insn in instructions { insn.append(to: &bytes, order: order) }
        return bytes
    }

    /// Calls `body` with the `struct bpf_insn` array of `instructions` for this host: their own
    /// storage on a little-endian host (the words are the kernel's layout), else an encoded copy.
    public static func withHostBytes<R>(of instructions: [Instruction], _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if ByteOrder.host == .little, MemoryLayout<Instruction>.stride == size {
            return instructions.withUnsafeBytes(body)
        }
        return encode(instructions, order: .host).withUnsafeBytes(body)
    }

    /// The 8 bytes of this instruction in `order`.
    public func encoded(_ order: ByteOrder) -> (UInt8, UInt8, UInt16, UInt32) {
        let registers = order == .little ? destination & 0xf | source << 4 : destination << 4 | source & 0xf
        let off = UInt16(bitPattern: offset), imm = UInt32(bitPattern: immediate)
        return order == .little
            ? (opcode, registers, off.littleEndian, imm.littleEndian)
            : (opcode, registers, off.bigEndian, imm.bigEndian)
    }

    /// Appends the instruction's bytes in `order`.
    public func append(to bytes: inout [UInt8], order: ByteOrder) {
        let (op, registers, off, imm) = encoded(order)
        bytes.append(op)
        bytes.append(registers)
        withUnsafeBytes(of: off) { bytes += $0 }
        withUnsafeBytes(of: imm) { bytes += $0 }
    }

    /// `BPF_CLASS(opcode)`.
    public var instructionClass: UInt8 { opcode & 0x07 }
    /// The first half of a 16-byte `ld_imm64` (`BPF_LD | BPF_IMM | BPF_DW`).
    public var isLoadImmediate64: Bool { opcode == 0x18 }
    /// `call` (helper, BPF-to-BPF or kfunc, by `source`).
    public var isCall: Bool { opcode == 0x85 }
    public var isExit: Bool { opcode == 0x95 }
    /// A BPF-to-BPF call (`src_reg == BPF_PSEUDO_CALL`).
    public var isPseudoCall: Bool { isCall && source == PseudoSource.call }
    /// An `ld_imm64` of a function address (`src_reg == BPF_PSEUDO_FUNC`), as callbacks use.
    public var isPseudoFunction: Bool { isLoadImmediate64 && source == PseudoSource.function }
}

/// `src_reg` values with special meaning in `ld_imm64` and `call`.
public enum PseudoSource {
    /// ld_imm64: the immediate is a map fd. call: a BPF-to-BPF call.
    public static let mapFD: UInt8 = 1
    public static let call: UInt8 = 1
    /// ld_imm64: a map fd plus an offset into its value.
    public static let mapValue: UInt8 = 2
    /// ld_imm64: the address of a kernel variable by BTF id.
    public static let btfID: UInt8 = 3
    /// ld_imm64: the address of a BPF function (callbacks).
    public static let function: UInt8 = 4
    /// ld_imm64: a map by index into `fd_array`.
    public static let mapIndex: UInt8 = 5
    /// ld_imm64: map value via `fd_array` index.
    public static let mapIndexValue: UInt8 = 6
    /// call: a kernel function by BTF id.
    public static let kfuncCall: UInt8 = 2
}
