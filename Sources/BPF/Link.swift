import CBPFSyscall
import Glibc

/// An attachment of a program to an event. Dropping it detaches the program
/// (the kernel detaches when the last descriptor of a link closes), unless it
/// was pinned first: `pin(at:)` then drop leaves it attached.
public struct Link: ~Copyable, Sendable {
    /// The link's descriptor (a BPF link, or for legacy attachments the perf event).
    public let descriptor: FileDescriptor
    /// A perf event the link depends on (tracepoints, kprobes), closed with it.
    private let perfEvent: FileDescriptor?
    /// Set when `descriptor` is a struct_ops map its update registered (no BPF link): dropping
    /// the link deletes the map's one element, which unregisters it.
    private var unregistersStructOps: Bool

    init(_ descriptor: consuming FileDescriptor, perfEvent: consuming FileDescriptor? = nil) {
        self.descriptor = descriptor
        self.perfEvent = perfEvent
        unregistersStructOps = false
    }

    /// A struct_ops map registered by its update, unregistered when this is dropped.
    init(registeredStructOps map: consuming FileDescriptor) {
        descriptor = map
        perfEvent = nil
        unregistersStructOps = true
    }

    deinit {
        // A struct_ops map has 4-byte keys and one element.
        if unregistersStructOps {
            try? MapCommands.uncheckedDelete(descriptor: descriptor.rawValue, key: [0, 0, 0, 0])
        }
    }

    /// Re-opens a link pinned at `path` (by this or another process); dropping it then does not
    /// detach while the pin remains.
    public init(pinnedAt path: String) throws(SyscallError) {
        descriptor = try KernelObjectIDs.open(pinned: path)
        perfEvent = nil
        unregistersStructOps = false
    }

    /// Pins the link on a bpffs so that it outlives this process. A struct_ops map registered
    /// without a link (`SEC(".struct_ops")`) has no link to pin: use `SEC(".struct_ops.link")`.
    public func pin(at path: String) throws(SyscallError) {
        guard !unregistersStructOps else {
            throw SyscallError(
                operation: "pin: a struct_ops map registered without a link (declare it in SEC(\".struct_ops.link\"))",
                errno: EOPNOTSUPP)
        }
        try ObjectCommands.pin(descriptor, at: path)
    }

    /// Detaches now (the same as dropping the link).
    public consuming func detach() {}

    /// Closes the link's descriptors without unregistering a struct_ops map that its update
    /// registered: it stays registered in the kernel until its element is deleted (what
    /// `swiftbpf struct_ops unregister` does). For every other link this is the same as dropping it.
    public consuming func leaveStructOpsRegistered() {
        unregistersStructOps = false
    }
}

/// `BPF_LINK_CREATE` and the other attach commands, thin.
package enum LinkCommands {
    /// `enum bpf_attach_type` values used by links.
    package static let perfEventAttachType: UInt32 = 41
    package static let xdpAttachType: UInt32 = 37

    /// `BPF_LINK_CREATE`: attaches `program` to `target` (a perf event, cgroup or interface index);
    /// a perf event link may carry a cookie (`bpf_get_attach_cookie()`).
    package static func create(
        program: Int32, target: Int32, attachType: UInt32, flags: UInt32 = 0, perfEventCookie: UInt64 = 0
    ) throws(SyscallError) -> FileDescriptor {
        var attr = LinkCreateAttr()
        attr.progFD = UInt32(bitPattern: program)
        attr.targetFD = UInt32(bitPattern: target)
        attr.attachType = attachType
        attr.flags = flags
        if attachType == perfEventAttachType { attr.perfEventBPFCookie = perfEventCookie }
        return try Syscall.bpfDescriptor(.linkCreate, &attr, "BPF_LINK_CREATE")
    }

    /// `BPF_TRACE_UPROBE_MULTI` (Linux 6.6): one link probing `offsets` of the file at `path`, each
    /// with its reference counter (empty: none) and cookie (empty: 0). Every array is as long as
    /// `offsets` or empty, checked here: the kernel reads `count` entries of each it is given.
    package static let uprobeMultiAttachType: UInt32 = 48

    package static func createUprobeMulti(
        program: Int32, path: String, offsets: [UInt64], referenceCounterOffsets: [UInt64], cookies: [UInt64],
        returnProbe: Bool, pid: Int32
    ) throws(SyscallError) -> FileDescriptor {
        guard !offsets.isEmpty, offsets.count <= Int(UInt32.max),
            referenceCounterOffsets.isEmpty || referenceCounterOffsets.count == offsets.count,
            cookies.isEmpty || cookies.count == offsets.count
        else { throw SyscallError(operation: "BPF_LINK_CREATE uprobe_multi: arrays of unequal lengths", errno: EINVAL) }
        let fd = try path.withKernelString { (p) throws(SyscallError) in
            try offsets.withUnsafeBufferPointer { (o) throws(SyscallError) in
                try referenceCounterOffsets.withUnsafeBufferPointer { (r) throws(SyscallError) in
                    try cookies.withUnsafeBufferPointer { (c) throws(SyscallError) in
                        var attr = LinkCreateAttr()
                        attr.progFD = UInt32(bitPattern: program)
                        attr.attachType = uprobeMultiAttachType
                        attr.uprobeMultiPath = kernelAddress(p)
                        attr.uprobeMultiOffsets = kernelAddress(o.baseAddress)
                        attr.uprobeMultiRefCtrOffsets = r.isEmpty ? 0 : kernelAddress(r.baseAddress)
                        attr.uprobeMultiCookies = c.isEmpty ? 0 : kernelAddress(c.baseAddress)
                        attr.uprobeMultiCount = UInt32(o.count)
                        attr.uprobeMultiFlags = returnProbe ? 1 : 0  // BPF_F_UPROBE_MULTI_RETURN
                        attr.uprobeMultiPid = UInt32(bitPattern: max(pid, 0))
                        return try Syscall.bpf(.linkCreate, &attr, "BPF_LINK_CREATE uprobe_multi \(path)")
                    }
                }
            }
        }
        return try FileDescriptor(owning: fd)
    }

    /// `BPF_LINK_DETACH`: detaches the link's program now, even while other descriptors or pins
    /// keep the link object alive.
    package static func detach(link: Int32) throws(SyscallError) {
        var attr = LinkDetachAttr()
        attr.linkFD = UInt32(bitPattern: link)
        _ = try Syscall.bpf(.linkDetach, &attr, "BPF_LINK_DETACH")
    }

    /// `BPF_RAW_TRACEPOINT_OPEN`: raw tracepoints by name, and `tp_btf`/tracing programs (name nil).
    package static func openRawTracepoint(program: Int32, name: String?) throws(SyscallError) -> FileDescriptor {
        let fd = try (name ?? "").withKernelString { (p) throws(SyscallError) in
            var attr = RawTracepointOpenAttr()
            attr.name = name == nil ? 0 : kernelAddress(p)
            attr.progFD = UInt32(bitPattern: program)
            return try Syscall.bpf(.rawTracepointOpen, &attr, "BPF_RAW_TRACEPOINT_OPEN \(name ?? "")")
        }
        return try FileDescriptor(owning: fd)
    }
}
