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
    case programBindMap = 35, tokenCreate = 36
}

/// `BPF_F_TOKEN_FD`: the map, program or BTF flag saying the attribute's token field holds a token.
let tokenFlag: UInt32 = 1 << 16

/// The one way into the kernel: every system call of this module goes through here and fails
/// with a ``SyscallError`` naming the operation. A call interrupted by a signal (`EINTR`) is issued
/// again only where that cannot repeat work the first one did.
enum Syscall {
    /// `bpf(command, &attr, size)`: the non-negative result. `BPF_PROG_LOAD` is retried a few times
    /// on `EAGAIN`, which the verifier returns when a signal interrupts it, as libbpf does;
    /// `BPF_PROG_TEST_RUN`, which stops with `EINTR` after running the program some number of
    /// times, is never re-issued (the caller sees `EINTR`); other commands are retried on `EINTR`.
    static func bpf<L: KernelLayout>(
        _ command: Command, _ attr: inout L,
        _ operation: @autoclosure () -> String
    ) throws(SyscallError) -> Int32 {
        var againAttempts = command == .programLoad ? 5 : 1
        while true {
            let result = attr.withUnsafeMutableBytes { sbpf_bpf(command.rawValue, $0.baseAddress, UInt32($0.count)) }
            if result >= 0 { return Int32(truncatingIfNeeded: result) }
            let error = Int32(-result)
            if error == EINTR, command != .programTestRun { continue }
            againAttempts -= 1
            if error == EAGAIN, againAttempts > 0 { continue }
            throw SyscallError(operation: operation(), errno: error)
        }
    }

    /// A `bpf` command that returns a new file descriptor, owned from here on.
    static func bpfDescriptor<L: KernelLayout>(
        _ command: Command, _ attr: inout L,
        _ operation: @autoclosure () -> String
    ) throws(SyscallError) -> FileDescriptor {
        try FileDescriptor(owning: try bpf(command, &attr, operation()))
    }

    /// Runs a libc call that returns -1 and sets `errno` on failure, again while it fails with `EINTR`.
    static func call<T: FixedWidthInteger>(
        _ operation: @autoclosure () -> String, _ body: () -> T
    ) throws(SyscallError) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let error = errno
            if error != EINTR { throw SyscallError(operation: operation(), errno: error) }
        }
    }

    /// Runs a shim call that returns `-errno` on failure, again while it fails with `EINTR`.
    static func shim<T: FixedWidthInteger & SignedInteger>(
        _ operation: @autoclosure () -> String, _ body: () -> T
    ) throws(SyscallError) -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let error = Int32(truncatingIfNeeded: -result)
            if error != EINTR { throw SyscallError(operation: operation(), errno: error) }
        }
    }
}

/// A buffer size the kernel reported (`btf_size`, `nr_func_info` × `func_info_rec_size`…), checked
/// before anything is allocated by it: the kernel's answers are input too.
func kernelReportedSize(
    _ count: UInt32, each size: UInt32 = 1, limit: Int = 1 << 28,
    _ what: @autoclosure () -> String
) throws(SyscallError) -> Int {
    let bytes = Int(count) * Int(size)  // two 32-bit factors: no overflow in 64 bits
    guard bytes <= limit else {
        throw SyscallError(
            operation: "\(what()): the kernel reports \(count) × \(size) bytes, more than \(limit)", errno: E2BIG)
    }
    return bytes
}

/// A pointer as the kernel's `__aligned_u64` fields take it.
func kernelAddress(_ pointer: UnsafeRawPointer?) -> UInt64 { UInt64(UInt(bitPattern: pointer)) }

extension Array {
    /// `withUnsafeBytes` with a typed error (the standard library's rethrows an untyped one).
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withUnsafeBytes { raw in Result { () throws(E) -> R in try body(raw) } }.get()
    }

    /// `withUnsafeMutableBytes` with a typed error.
    mutating func withMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withUnsafeMutableBytes { raw in Result { () throws(E) -> R in try body(raw) } }.get()
    }
}

extension String {
    /// The string NUL-terminated, as the kernel reads it, for the duration of `body` (with a typed error).
    func withKernelString<R, E: Error>(_ body: (UnsafeRawPointer) throws(E) -> R) throws(E) -> R {
        try withCString { p in Result { () throws(E) -> R in try body(UnsafeRawPointer(p)) } }.get()
    }
}
