import BPF
import Glibc

/// Counts one process's getpid() calls while it lives, through the generated `GetpidCounter`
/// skeleton (from getpid_counter.bpf.c, built by BPFSkeletonPlugin).
public struct Counter: ~Copyable {
    private let skeleton: GetpidCounter
    private let link: Link

    /// Loads the counter for process `pid` and attaches it to the getpid tracepoint.
    public init(pid: Int32 = getpid()) throws {
        let spec = try GetpidCounter.open()
        spec.rodata.targetTgid = UInt32(bitPattern: pid)
        let skeleton = try spec.load()
        let link = try Attach.tracepoint(
            program: skeleton.programs.countGetpid.descriptor, category: "syscalls", name: "sys_enter_getpid")
        self.skeleton = skeleton
        self.link = link
    }

    /// The calls counted so far.
    public var calls: UInt64 { skeleton.bss.calls }
}
