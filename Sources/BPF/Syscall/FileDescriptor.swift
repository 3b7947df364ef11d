import Glibc

/// The one owner of a kernel object's file descriptor: closes it when dropped.
///
/// Never 0: a descriptor the kernel hands out as 0 is moved up (as cilium/ebpf does), so that a
/// stray `0` can never be mistaken for a BPF object. Public API borrows it (`borrowing
/// FileDescriptor`); ``rawValue`` is for calls this library does not make, valid while the owner lives.
public struct FileDescriptor: ~Copyable, Sendable {
    public let rawValue: Int32

    /// Takes ownership of `raw` (a descriptor of 0 is moved to the lowest free number above it;
    /// when that fails, it is closed and the error thrown).
    public init(owning raw: Int32) throws(SyscallError) {
        guard raw == 0 else {
            rawValue = raw
            return
        }
        let moved = fcntl(0, F_DUPFD_CLOEXEC, 1)
        let error = errno
        close(0)
        guard moved > 0 else { throw SyscallError(operation: "moving descriptor 0 up", errno: error) }
        rawValue = moved
    }

    deinit { close(rawValue) }

    /// Gives up ownership without closing: the caller now owns the descriptor.
    public consuming func release() -> Int32 {
        let raw = rawValue
        discard self
        return raw
    }

    /// A new descriptor for the same kernel object, owned separately.
    public borrowing func duplicate() throws(SyscallError) -> FileDescriptor {
        try FileDescriptor(owning: try Syscall.call("dup") { fcntl(rawValue, F_DUPFD_CLOEXEC, 1) })
    }
}

/// A failed system call: which one and its `errno`.
public struct SyscallError: Error, Hashable, Sendable, CustomStringConvertible {
    public let operation: String
    public let errno: Int32

    public init(operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    /// The conventional name of the errno (`EPERM`, `EINVAL`…), or its number.
    public var errnoName: String { Self.names[errno] ?? "errno \(errno)" }

    public var description: String {
        "\(operation): \(errnoName) (\(String(cString: strerror(errno))))"
    }

    static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO", E2BIG: "E2BIG", EBADF: "EBADF",
        EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST",
        ENODEV: "ENODEV", ENOTDIR: "ENOTDIR", EINVAL: "EINVAL", ENOSPC: "ENOSPC", ERANGE: "ERANGE", ENOSYS: "ENOSYS",
        EOPNOTSUPP: "EOPNOTSUPP", ENOTSUPP_: "ENOTSUPP", ELOOP: "ELOOP", ENAMETOOLONG: "ENAMETOOLONG",
    ]
}

/// The kernel-internal ENOTSUPP (524) that BPF commands sometimes return.
let ENOTSUPP_: Int32 = 524

/// A descriptor shared by reference, for owners that arrays and optionals must hold (a
/// noncopyable value cannot be an array's element): closed when the last reference goes.
final class SharedDescriptor: Sendable {
    let descriptor: FileDescriptor
    init(_ descriptor: consuming FileDescriptor) { self.descriptor = descriptor }
    var rawValue: Int32 { descriptor.rawValue }
}
