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
    public init(of object: borrowing FileDescriptor) throws(SyscallError) {
        let fd = object.rawValue
        var sizes = ProgInfoLayout()
        try ObjectInfo.get(fd, into: &sizes)
        let functionRecordSize = Int(sizes.funcInfoRecSize), lineRecordSize = Int(sizes.lineInfoRecSize)
        var code = [UInt8](repeating: 0, count: try kernelReportedSize(sizes.xlatedProgLen, "translated program"))
        var functions = [UInt8](
            repeating: 0, count: try kernelReportedSize(sizes.nrFuncInfo, each: sizes.funcInfoRecSize, "func_info"))
        var lines = [UInt8](
            repeating: 0, count: try kernelReportedSize(sizes.nrLineInfo, each: sizes.lineInfoRecSize, "line_info"))
        var addresses = [UInt64](
            repeating: 0, count: try kernelReportedSize(sizes.nrJitedKsyms, each: 8, "jited_ksyms") / 8)
        // Each buffer is exactly as long as the count the kernel is told.
        let info = try code.withMutableBytes { (code) throws(SyscallError) in
            try functions.withMutableBytes { (functions) throws(SyscallError) in
                try lines.withMutableBytes { (lines) throws(SyscallError) in
                    try addresses.withMutableBytes { (addresses) throws(SyscallError) in
                        var info = ProgInfoLayout()
                        info.xlatedProgLen = UInt32(code.count)
                        info.xlatedProgInsns = kernelAddress(code.baseAddress)
                        info.nrJitedKsyms = UInt32(addresses.count / 8)
                        info.jitedKsyms = kernelAddress(addresses.baseAddress)
                        info.funcInfoRecSize = UInt32(functionRecordSize)
                        info.funcInfo = kernelAddress(functions.baseAddress)
                        info.nrFuncInfo = UInt32(functionRecordSize == 0 ? 0 : functions.count / functionRecordSize)
                        info.nrLineInfo = UInt32(lineRecordSize == 0 ? 0 : lines.count / lineRecordSize)
                        info.lineInfo = kernelAddress(lines.baseAddress)
                        info.lineInfoRecSize = UInt32(lineRecordSize)
                        try ObjectInfo.get(fd, into: &info)
                        return info
                    }
                }
            }
        }
        instructions = code.withUnsafeBytes { Instruction.decode($0, order: .host) }
        functionInfo = Self.records(functions, size: functionRecordSize) {
            FunctionRecord(instruction: Int($0[0]), typeID: $0[1])
        }
        lineInfo = Self.records(lines, size: lineRecordSize) {
            LineRecord(instruction: Int($0[0]), fileNameOffset: $0[1], lineOffset: $0[2], lineColumn: $0[3])
        }
        btfID = info.btfID
        functionAddresses = addresses
    }

    /// Splits `bytes` into records of `size` bytes (at least `fields` words), each read as host-order words.
    private static func records<R>(_ bytes: [UInt8], size: Int, fields: Int = 4, _ make: ([UInt32]) -> R) -> [R] {
        guard size >= 8 else { return [] }
        return stride(from: 0, to: bytes.count - size + 1, by: size).map { start in
            make(
                (0..<fields).map { i in
                    i * 4 + 4 <= size
                        ? bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: start + i * 4, as: UInt32.self) } : 0
                })
        }
    }
}
