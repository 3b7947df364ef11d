import BTF
import Glibc

/// Finding kernel objects by id, as `bpftool prog list` does.
public enum KernelObjectKind: Sendable {
    case program, map, btf, link

    var nextID: Command {
        switch self {
        case .program: .programGetNextID
        case .map: .mapGetNextID
        case .btf: .btfGetNextID
        case .link: .linkGetNextID
        }
    }

    var fdByID: Command {
        switch self {
        case .program: .programGetFDByID
        case .map: .mapGetFDByID
        case .btf: .btfGetFDByID
        case .link: .linkGetFDByID
        }
    }
}

public enum KernelObjectIDs {
    /// Every id of `kind` currently in the kernel, ascending.
    public static func all(_ kind: KernelObjectKind) throws(SyscallError) -> [UInt32] {
        var ids: [UInt32] = []
        var current: UInt32 = 0
        while true {
            var attr = GetIDAttr()
            attr.startID = current
            do { _ = try Syscall.bpf(kind.nextID, &attr, "BPF_*_GET_NEXT_ID") } catch  where error.errno == ENOENT {
                return ids
            }
            // Ascending by the kernel's contract; a repeat would loop forever.
            guard attr.nextID > current else { return ids }
            current = attr.nextID
            ids.append(current)
        }
    }

    /// A new descriptor for the object with `id`.
    public static func open(_ kind: KernelObjectKind, id: UInt32) throws(SyscallError) -> FileDescriptor {
        var attr = GetIDAttr()
        attr.startID = id
        return try Syscall.bpfDescriptor(kind.fdByID, &attr, "BPF_*_GET_FD_BY_ID \(id)")
    }

    /// A pinned object's descriptor (`BPF_OBJ_GET`).
    public static func open(pinned path: String) throws(SyscallError) -> FileDescriptor {
        let fd = try path.withKernelString { (p) throws(SyscallError) in
            var attr = ObjectAttr()
            attr.pathname = kernelAddress(p)
            return try Syscall.bpf(.objectGet, &attr, "BPF_OBJ_GET \(path)")
        }
        return try FileDescriptor(owning: fd)
    }
}
