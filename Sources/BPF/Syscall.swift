import CBPFSyscall
import Glibc

/// `enum bpf_cmd`: the commands this library issues.
enum Command: Int32 {
    case mapCreate = 0, mapLookupElement, mapUpdateElement, mapDeleteElement, mapGetNextKey
    case programLoad = 5, objectPin, objectGet
    case programTestRun = 10, programGetNextID = 11, mapGetNextID, programGetFDByID, mapGetFDByID, objectGetInfoByFD
    case rawTracepointOpen = 17, btfLoad = 18, btfGetFDByID
    case mapLookupAndDeleteElement = 21, mapFreeze = 22, btfGetNextID = 23
    case mapLookupBatch = 24, mapLookupAndDeleteBatch, mapUpdateBatch, mapDeleteBatch
    case linkCreate = 28
    case linkGetFDByID = 30, linkGetNextID, iteratorCreate = 33, linkDetach = 34
    case programBindMap = 35
}

/// A zeroed `union bpf_attr` whose fields are stored at the kernel's offsets,
/// so that no installed kernel header is needed.
struct Attribute {
    /// The attribute's bytes, held inline (no allocation per call); the largest is `bpf_prog_info`'s 228.
    private var storage = InlineArray<32, UInt64>(repeating: 0)
    let size: Int

    init(size: Int) {
        precondition(size <= 256, "bpf_attr larger than the inline storage")
        self.size = size
    }

    /// The bytes as a raw buffer of `size` bytes.
    private mutating func withRawBytes<R>(_ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
        let size = self.size
        return Swift.withUnsafeMutableBytes(of: &storage) { body(UnsafeMutableRawBufferPointer(rebasing: $0[0..<size])) }
    }

    mutating func set(_ value: UInt32, at offset: Int) {
        withRawBytes { $0.storeBytes(of: value, toByteOffset: offset, as: UInt32.self) }
    }

    mutating func set(_ value: UInt64, at offset: Int) {
        withRawBytes { $0.storeBytes(of: value, toByteOffset: offset, as: UInt64.self) }
    }

    /// Stores a pointer; the memory must stay valid until the command returns.
    mutating func set(_ pointer: UnsafeRawPointer?, at offset: Int) {
        set(UInt64(UInt(bitPattern: pointer)), at: offset)
    }

    /// Stores a name, NUL-padded and truncated to `capacity - 1` bytes (`BPF_OBJ_NAME_LEN` is 16).
    mutating func set(name: String, at offset: Int, capacity: Int = 16) {
        withRawBytes { raw in
            for (i, b) in name.utf8.prefix(capacity - 1).enumerated() { raw[offset + i] = b }
        }
    }

    func bytes(at offset: Int, count: Int) -> [UInt8] {
        precondition(offset + count <= size, "read past the attribute")
        return Swift.withUnsafeBytes(of: storage) { Array($0[offset..<offset + count]) }
    }

    /// The raw bytes, for structures the kernel fills in (info records).
    mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
        withRawBytes(body)
    }

    func u32(at offset: Int) -> UInt32 {
        precondition(offset + 4 <= size, "read past the attribute")
        return Swift.withUnsafeBytes(of: storage) { $0.load(fromByteOffset: offset, as: UInt32.self) }
    }

    /// Issues `bpf(command, &attr, size)`; returns the non-negative result.
    mutating func call(_ command: Command, _ operation: @autoclosure () -> String) throws(SyscallError) -> Int32 {
        let size = UInt32(self.size)
        let result = withRawBytes { sbpf_bpf(command.rawValue, $0.baseAddress, size) }
        guard result >= 0 else { throw SyscallError(operation: operation(), errno: Int32(-result)) }
        return Int32(truncatingIfNeeded: result)
    }

    /// Issues a command that returns a new file descriptor, and owns it.
    mutating func callForDescriptor(_ command: Command, _ operation: @autoclosure () -> String) throws(SyscallError) -> FileDescriptor {
        FileDescriptor(owning: try call(command, operation()))
    }
}
