import BPFObject
import BTF

/// A loaded program as the kernel translated it, with what annotates it: the
/// instructions (map references turned into map ids), the BTF func and line
/// info (instruction indices), and the addresses of its JITed functions —
/// what `bpftool prog dump xlated` prints from.
public struct TranslatedProgram: Sendable {
    public let instructions: [Instruction]
    public let functionInfo: [FunctionRecord]
    public let lineInfo: [LineRecord]
    /// The program's BTF object (0: none).
    public let btfID: UInt32
    /// The kernel address of each JITed function, subprograms included, in order (empty without a JIT).
    public let functionAddresses: [UInt64]

    /// Reads it back from the kernel (`BPF_OBJ_GET_INFO_BY_FD` twice: sizes, then contents).
    public init(descriptor fd: Int32) throws(SyscallError) {
        var sizes = Attribute(size: ProgramInfo.size)
        try ObjectInfo.get(fd, into: &sizes)
        let instructionBytes = Int(sizes.u32(at: 20))
        let functionCount = Int(sizes.u32(at: 144)), functionRecordSize = Int(sizes.u32(at: 132))
        let lineCount = Int(sizes.u32(at: 148)), lineRecordSize = Int(sizes.u32(at: 172))
        let addressCount = Int(sizes.u32(at: 104))
        var code = [UInt8](repeating: 0, count: instructionBytes)
        var functions = [UInt8](repeating: 0, count: functionCount * functionRecordSize)
        var lines = [UInt8](repeating: 0, count: lineCount * lineRecordSize)
        var addresses = [UInt64](repeating: 0, count: addressCount)
        let result = code.withUnsafeMutableBytes { code in
            functions.withUnsafeMutableBytes { functions in
                lines.withUnsafeMutableBytes { lines in
                    addresses.withUnsafeMutableBytes { addresses -> Result<Attribute, SyscallError> in
                        var info = Attribute(size: ProgramInfo.size)
                        info.set(UInt32(code.count), at: 20)
                        info.set(UnsafeRawPointer(code.baseAddress), at: 32)
                        info.set(UInt32(addressCount), at: 104)
                        info.set(UnsafeRawPointer(addresses.baseAddress), at: 112)
                        info.set(UInt32(functionRecordSize), at: 132)
                        info.set(UnsafeRawPointer(functions.baseAddress), at: 136)
                        info.set(UInt32(functionCount), at: 144)
                        info.set(UInt32(lineCount), at: 148)
                        info.set(UnsafeRawPointer(lines.baseAddress), at: 152)
                        info.set(UInt32(lineRecordSize), at: 172)
                        do throws(SyscallError) { try ObjectInfo.get(fd, into: &info); return .success(info) } catch { return .failure(error) }
                    }
                }
            }
        }
        let info = try result.get()
        instructions = code.withUnsafeBytes { Instruction.decode($0, order: .host) }
        functionInfo = Self.records(functions, size: functionRecordSize) { FunctionRecord(instruction: Int($0[0]), typeID: $0[1]) }
        lineInfo = Self.records(lines, size: lineRecordSize) {
            LineRecord(instruction: Int($0[0]), fileNameOffset: $0[1], lineOffset: $0[2], lineColumn: $0[3])
        }
        btfID = info.u32(at: 128)
        functionAddresses = addresses
    }

    /// Splits `bytes` into records of `size` bytes (at least `fields` words), each read as host-order words.
    private static func records<R>(_ bytes: [UInt8], size: Int, fields: Int = 4, _ make: ([UInt32]) -> R) -> [R] {
        guard size >= 8 else { return [] }
        return stride(from: 0, to: bytes.count - size + 1, by: size).map { start in
            make((0..<fields).map { i in
                i * 4 + 4 <= size ? bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: start + i * 4, as: UInt32.self) } : 0
            })
        }
    }
}
