/// `struct bpf_link_info`'s common part: what a link is and which program it runs.
public struct LinkInfo: Sendable, Equatable {
    /// `enum bpf_link_type`, e.g. 6 for XDP.
    public let type: UInt32
    public let id: UInt32
    public let programID: UInt32
    /// The struct_ops map a `struct_ops` link registers, else nil.
    public let structOpsMapID: UInt32?

    /// The link type as bpftool names it (`xdp`, `perf_event`, `tcx`…).
    public var typeName: String {
        let names = [
            "unspec", "raw_tracepoint", "tracing", "cgroup", "iter", "netns", "xdp", "perf_event",
            "kprobe_multi", "struct_ops", "netfilter", "tcx", "uprobe_multi", "netkit", "sockmap",
        ]
        return Int(type) < names.count ? names[Int(type)] : "type \(type)"
    }

    /// Reads the info of the link behind `fd`.
    public init(of object: borrowing FileDescriptor) throws(SyscallError) {
        let fd = object.rawValue
        var info = LinkInfoLayout()
        try ObjectInfo.get(fd, into: &info)
        type = info.type
        id = info.id
        programID = info.progID
        structOpsMapID = type == 9 ? info.structOpsMapID : nil
    }
}
