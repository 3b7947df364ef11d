import Glibc

/// An owner of bytes that readers view without copying.
///
/// Either a read-only private mapping of a large regular file, or the file's bytes read into
/// memory (small files, files that are not regular — pipes, devices, procfs — and files that
/// refuse `mmap`), or a heap copy of caller-supplied bytes. Views taken from ``bytes`` stay
/// valid for the lifetime of the storage.
///
/// A mapping reflects the file: if another process truncates a mapped file, reading the lost
/// pages raises `SIGBUS`. Files below ``mappingThreshold`` are therefore read, never mapped; pass
/// `mapping: false` to read a file whatever its size (e.g. objects in a directory others write).
public final class ByteStorage: @unchecked Sendable {
    /// The stored bytes. Immutable for the life of the storage.
    public let bytes: UnsafeRawBufferPointer
    private let mapped: Bool

    /// Regular files at least this large are mapped (when `mapping` allows); smaller ones are read.
    public static let mappingThreshold = 1 << 20
    /// The most a read accepts by default (256 MiB): `/dev/zero` or an endless pipe ends in `EFBIG`.
    public static let defaultMaximumSize = 256 << 20

    /// The file at `path`: large regular files mapped read-only (unless `mapping` is false), anything
    /// else read whole. A file (or stream) longer than `maximumSize` bytes is an `EFBIG` error.
    public init(
        contentsOfFile path: String, mapping: Bool = true, maximumSize: Int = ByteStorage.defaultMaximumSize
    ) throws(SystemError) {
        // O_NONBLOCK: opening a FIFO no writer holds must not wait; reads block again below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw SystemError(call: "open", path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SystemError(call: "fstat", path: path, errno: errno) }
        let type = st.st_mode & S_IFMT
        if type == S_IFDIR { throw SystemError(call: "open", path: path, errno: EISDIR) }
        // Reads of regular files never wait: only other files (FIFOs, devices) need blocking again.
        if type != S_IFREG { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        let size = Int(st.st_size)
        // A mapping costs no memory up front: the limit bounds what is read (a large binary for a uprobe is mapped).
        if mapping, type == S_IFREG, size >= Self.mappingThreshold,
            let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED
        {
            bytes = UnsafeRawBufferPointer(start: address, count: size)
            mapped = true
            return
        }
        if type == S_IFREG, size > maximumSize { throw SystemError(call: "read", path: path, errno: EFBIG) }
        bytes = try Self.readAll(
            fd: fd, sizeHint: type == S_IFREG ? size : 0, isRegular: type == S_IFREG, maximumSize: maximumSize,
            path: path)
        mapped = false
    }

    /// Copies `source` into storage owned by this object.
    public init(copying source: some Collection<UInt8>) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: source.count, alignment: 16)
        // Contiguous sources (arrays, buffers) are one copy; others are walked element by element.
        let copied = source.withContiguousStorageIfAvailable { contiguous in
            buffer.copyMemory(from: UnsafeRawBufferPointer(contiguous))
        }
        if copied == nil { _ = buffer.initializeMemory(as: UInt8.self, from: source) }
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

    /// The bytes as UTF-8 text (invalid sequences repaired), read while this storage lives.
    public var text: String { withExtendedLifetime(self) { String(decoding: bytes, as: UTF8.self) } }

    /// Reads `fd` to its end, growing the buffer as needed (sysfs sizes may be approximate), up to
    /// `maximumSize` bytes: one byte more is an `EFBIG` error.
    private static func readAll(
        fd: Int32, sizeHint: Int, isRegular: Bool, maximumSize: Int, path: String
    ) throws(SystemError) -> UnsafeRawBufferPointer {
        // Room for the hint and one byte more, so that a file of exactly its stat size ends in one read of 0.
        let limit = maximumSize < Int.max ? max(maximumSize, 0) + 1 : Int.max
        // The stat size is a hint (sparse or changing files): at most 64 MiB is allocated before bytes arrive.
        var capacity = min(max(min(sizeHint, 1 << 26) + 1, 4096), limit)
        var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        var used = 0
        while true {
            if used == capacity {
                guard used <= maximumSize else {
                    buffer.deallocate()
                    throw SystemError(call: "read", path: path, errno: EFBIG)
                }
                capacity = min(capacity * 2, limit)
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
            // A regular file read to its stat size is whole (a snapshot if it grows meanwhile): no
            // read of 0 to confirm. Files whose size is a guess (procfs: 0, sysfs: a page) read on.
            if isRegular, used == sizeHint { break }
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
