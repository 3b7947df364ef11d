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
            do { _ = try Syscall.bpf(kind.nextID, &attr, "BPF_*_GET_NEXT_ID") } catch where error.errno == ENOENT { return ids }
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

/// A BTF object in the kernel: its raw bytes, read back with `BPF_OBJ_GET_INFO_BY_FD`.
public struct KernelBTF: Sendable {
    public let id: UInt32
    public let name: String
    /// Whether it is the kernel's or a module's BTF (rather than a program's).
    public let isKernel: Bool
    public let bytes: [UInt8]

    public init(of object: borrowing FileDescriptor) throws(SyscallError) {
        let fd = object.rawValue
        var sizes = BTFInfoLayout()
        try ObjectInfo.get(fd, into: &sizes)
        var data = [UInt8](repeating: 0, count: Int(sizes.btfSize))
        var name = [UInt8](repeating: 0, count: 64)
        let info = try data.withMutableBytes { (d) throws(SyscallError) in
            try name.withMutableBytes { (n) throws(SyscallError) in
                var info = BTFInfoLayout()
                info.btf = kernelAddress(d.baseAddress)
                info.btfSize = UInt32(d.count)
                info.name = kernelAddress(n.baseAddress)
                info.nameLen = UInt32(n.count)
                try ObjectInfo.get(fd, into: &info)
                return info
            }
        }
        id = info.id
        isKernel = info.kernelBTF != 0
        self.name = String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
        bytes = data
    }
}
