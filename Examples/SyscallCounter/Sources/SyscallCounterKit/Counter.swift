import BPF
import Glibc

/// Counts one process's getpid() calls while it lives, through the generated `GetpidCounter`
/// skeleton (from getpid_counter.bpf.c, built by BPFSkeletonPlugin).
public struct Counter: ~Copyable {
    private let skeleton: GetpidCounter

    /// Loads the counter for process `pid` and attaches it where its section says (the getpid tracepoint).
    public init(pid: Int32 = getpid()) throws {
        let spec = try GetpidCounter.open()
        spec.rodata.targetTgid = UInt32(bitPattern: pid)
        var skeleton = try spec.load()
        try skeleton.attach()
        self.skeleton = skeleton
    }

    /// The calls counted so far.
    public var calls: UInt64 { skeleton.bss.calls }
}
