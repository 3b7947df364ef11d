#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An owner of bytes that readers view without copying.
///
/// Either a read-only private mapping of a file (with a `read()` fallback for
/// files that refuse `mmap`, such as some sysfs and procfs files) or a heap
/// copy of caller-supplied bytes. Views taken from ``bytes`` stay valid for
/// the lifetime of the storage.
public final class ByteStorage: @unchecked Sendable {
    /// The stored bytes. Immutable for the life of the storage.
    public let bytes: UnsafeRawBufferPointer
    private let mapped: Bool

    /// Maps the file at `path` read-only, or reads it whole where mapping is refused.
    public init(contentsOfFile path: String) throws(SystemError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError(call: "open", path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SystemError(call: "fstat", path: path, errno: errno) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw SystemError(call: "open", path: path, errno: EISDIR) }
        let size = Int(st.st_size)
        if size > 0, let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED {
            bytes = UnsafeRawBufferPointer(start: address, count: size)
            mapped = true
            return
        }
        bytes = try Self.readAll(fd: fd, sizeHint: size, path: path)
        mapped = false
    }

    /// Copies `source` into storage owned by this object.
    public init(copying source: some Collection<UInt8>) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: source.count, alignment: 16)
        _ = buffer.initializeMemory(as: UInt8.self, from: source)
        bytes = UnsafeRawBufferPointer(buffer)
        mapped = false
    }

    deinit {
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        } else {
            bytes.deallocate()
        }
    }

    /// Reads `fd` to its end, growing the buffer as needed (sysfs sizes may be approximate).
    private static func readAll(fd: Int32, sizeHint: Int, path: String) throws(SystemError) -> UnsafeRawBufferPointer {
        var capacity = max(sizeHint, 4096)
        var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        var used = 0
        while true {
            if used == capacity {
                capacity *= 2
                let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
                bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<used]))
                buffer.deallocate()
                buffer = bigger
            }
            let n = read(fd, buffer.baseAddress.map { $0 + used }, capacity - used)
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                buffer.deallocate()
                throw SystemError(call: "read", path: path, errno: code)
            }
            if n == 0 { break }
            used += n
        }
        return UnsafeRawBufferPointer(start: buffer.baseAddress, count: used)
    }
}

/// A failed system call on a file: which call, on what path, and the `errno` it gave.
public struct SystemError: Error, Hashable, Sendable, CustomStringConvertible {
    public let call: String
    public let path: String
    public let errno: Int32

    public init(call: String, path: String, errno: Int32) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    public var description: String {
        "\(call) \(path): \(String(cString: strerror(errno)))"
    }
}
