import Glibc

/// A page of writable memory between two pages that fault on any access: bytes placed against
/// either edge prove that a reader stays inside them.
public enum GuardedBytes {
    /// Calls `body` with the writable page's start and end.
    public static func withPage(_ body: (UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Void) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard let base = mmap(nil, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            base != MAP_FAILED
        else { fatalError("mmap of three pages failed") }
        mprotect(base, page, PROT_NONE)
        mprotect(base + 2 * page, page, PROT_NONE)
        body(base + page, base + 2 * page)
        munmap(base, 3 * page)
    }

    /// `count` bytes from 1...255 cycling (no NUL), starting where `seed` says: a name to hash.
    public static func name(count: Int, seed: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: ($0 * 7 + seed) % 255 + 1) }
    }
}
