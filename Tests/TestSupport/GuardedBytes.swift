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
}

/// A seeded generator (splitmix64): random cases that repeat run after run.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var x = state
        x = (x ^ (x >> 30)) &* 0xbf58_476d_1ce4_e5b9
        x = (x ^ (x >> 27)) &* 0x94d0_49bb_1331_11eb
        return x ^ (x >> 31)
    }
}
