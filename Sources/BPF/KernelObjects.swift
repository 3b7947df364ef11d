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
            var attr = Attribute(size: 8)
            attr.set(current, at: 0)
            do { _ = try attr.call(kind.nextID, "BPF_*_GET_NEXT_ID") } catch where error.errno == ENOENT { return ids }
            current = attr.u32(at: 4)
            ids.append(current)
        }
    }

    /// A new descriptor for the object with `id`.
    public static func open(_ kind: KernelObjectKind, id: UInt32) throws(SyscallError) -> FileDescriptor {
        var attr = Attribute(size: 12)
        attr.set(id, at: 0)
        return try attr.callForDescriptor(kind.fdByID, "BPF_*_GET_FD_BY_ID \(id)")
    }

    /// A pinned object's descriptor (`BPF_OBJ_GET`).
    public static func open(pinned path: String) throws(SyscallError) -> FileDescriptor {
        let bytes = Array(path.utf8) + [0]
        let result = bytes.withUnsafeBytes { p -> Result<Int32, SyscallError> in
            var attr = Attribute(size: 16)
            attr.set(p.baseAddress, at: 0)
            do throws(SyscallError) { return .success(try attr.call(.objectGet, "BPF_OBJ_GET \(path)")) } catch { return .failure(error) }
        }
        return FileDescriptor(owning: try result.get())
    }
}

/// A BTF object in the kernel: its raw bytes, read back with `BPF_OBJ_GET_INFO_BY_FD`.
public struct KernelBTF: Sendable {
    public let id: UInt32
    public let name: String
    /// Whether it is the kernel's or a module's BTF (rather than a program's).
    public let isKernel: Bool
    public let bytes: [UInt8]

    public init(descriptor fd: Int32) throws(SyscallError) {
        var info = Attribute(size: 32)
        try ObjectInfo.get(fd, into: &info)
        let size = Int(info.u32(at: 8))
        var data = [UInt8](repeating: 0, count: size)
        var name = [UInt8](repeating: 0, count: 64)
        let result = data.withUnsafeMutableBytes { d in
            name.withUnsafeMutableBytes { n -> Result<Attribute, SyscallError> in
                var second = Attribute(size: 32)
                second.set(UnsafeRawPointer(d.baseAddress), at: 0)
                second.set(UInt32(d.count), at: 8)
                second.set(UnsafeRawPointer(n.baseAddress), at: 16)
                second.set(UInt32(n.count), at: 24)
                do throws(SyscallError) { try ObjectInfo.get(fd, into: &second); return .success(second) } catch { return .failure(error) }
            }
        }
        let filled = try result.get()
        id = filled.u32(at: 12)
        isKernel = filled.u32(at: 28) != 0
        self.name = String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
        bytes = data
    }
}
