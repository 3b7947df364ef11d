import Glibc

/// Kernel memory mapped into the process (a map's values, a ring's pages): unmapped when dropped.
/// The mapping holds its kernel object alive by itself, whatever happens to the descriptor.
struct MappedRegion: ~Copyable, @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let length: Int

    /// Maps `length` bytes of the object behind `descriptor` from `offset`, shared, read-only
    /// unless `writable`.
    init(
        _ descriptor: borrowing FileDescriptor, length: Int, offset: Int = 0, writable: Bool,
        _ what: @autoclosure () -> String
    ) throws(SyscallError) {
        let protection = writable ? PROT_READ | PROT_WRITE : PROT_READ
        guard let base = mmap(nil, length, protection, MAP_SHARED, descriptor.rawValue, off_t(offset)),
            base != MAP_FAILED
        else {
            throw SyscallError(operation: "mmap \(what())", errno: errno)
        }
        self.base = base
        self.length = length
    }

    deinit { munmap(base, length) }

    var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: length) }
}
