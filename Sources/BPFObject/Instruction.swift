import ELF64

/// One 8-byte `struct bpf_insn`; `ld_imm64` spans two of them.
public struct Instruction: Hashable, Sendable {
    public var opcode: UInt8
    public var destination: UInt8
    public var source: UInt8
    public var offset: Int16
    public var immediate: Int32

    public static let size = 8

    public init(opcode: UInt8, destination: UInt8 = 0, source: UInt8 = 0, offset: Int16 = 0, immediate: Int32 = 0) {
        self.opcode = opcode
        self.destination = destination
        self.source = source
        self.offset = offset
        self.immediate = immediate
    }

    /// Decodes an instruction stored in `order` (the register nibbles swap places in big-endian objects).
    public init(_ r: Record) {
        opcode = r.u8(0)
        let registers = r.u8(1)
        if r.order == .little {
            destination = registers & 0xf
            source = registers >> 4
        } else {
            destination = registers >> 4
            source = registers & 0xf
        }
        offset = Int16(bitPattern: r.u16(2))
        immediate = r.i32(4)
    }

    /// Decodes consecutive instructions (`bytes.count / 8` of them) in one pass.
    public static func decode(_ bytes: UnsafeRawBufferPointer, order: ByteOrder) -> [Instruction] {
        let count = bytes.count / size
        guard count > 0, let base = bytes.baseAddress else { return [] }
        let little = order == .little, swap = order != .host
        return [Instruction](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                let p = base + i * size
                let registers = p.load(fromByteOffset: 1, as: UInt8.self)
                let rawOffset = p.loadUnaligned(fromByteOffset: 2, as: UInt16.self)
                let rawImmediate = p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
                (buffer.baseAddress.unsafelyUnwrapped + i).initialize(to: Instruction(
                    opcode: p.load(as: UInt8.self),
                    destination: little ? registers & 0xf : registers >> 4,
                    source: little ? registers >> 4 : registers & 0xf,
                    offset: Int16(bitPattern: swap ? rawOffset.byteSwapped : rawOffset),
                    immediate: Int32(bitPattern: swap ? rawImmediate.byteSwapped : rawImmediate)))
            }
            initialized = count
        }
    }

    /// The 8 bytes of this instruction in `order`.
    public func encoded(_ order: ByteOrder) -> (UInt8, UInt8, UInt16, UInt32) {
        let registers = order == .little ? destination & 0xf | source << 4 : destination << 4 | source & 0xf
        let off = UInt16(bitPattern: offset), imm = UInt32(bitPattern: immediate)
        return order == .little ? (opcode, registers, off.littleEndian, imm.littleEndian)
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
