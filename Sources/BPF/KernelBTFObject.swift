import Glibc

/// A BTF object in the kernel: its raw bytes, read back with `BPF_OBJ_GET_INFO_BY_FD`.
public struct KernelBTFObject: Sendable {
    public let id: UInt32
    public let name: String
    /// Whether it is the kernel's or a module's BTF (rather than a program's).
    public let isKernel: Bool
    public let bytes: [UInt8]

    public init(of object: borrowing FileDescriptor) throws(SyscallError) {
        let fd = object.rawValue
        var sizes = BTFInfoLayout()
        try ObjectInfo.get(fd, into: &sizes)
        var data = [UInt8](repeating: 0, count: try kernelReportedSize(sizes.btfSize, "BTF object \(sizes.id)"))
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

/// Kernel BTF objects by name ("vmlinux", or a module's), found among the kernel's BTF ids as
/// libbpf's `load_module_btfs` does: `fd_array` hands their descriptors to the verifier for the
/// kfuncs and variables of modules.
extension KernelBTFObject {
    /// A new descriptor for the kernel BTF object named `name`; `nil` when no loaded module has that name.
    public static func open(named name: String) throws(SyscallError) -> FileDescriptor? {
        for id in try KernelObjectIDs.all(.btf) {
            let fd: FileDescriptor
            // unloaded meanwhile
            do { fd = try KernelObjectIDs.open(.btf, id: id) } catch  where error.errno == ENOENT { continue }
            if try kernelName(of: fd) == name { return fd }
        }
        return nil
    }

    /// The name of the kernel BTF object behind `fd`; `nil` for a program's BTF.
    public static func kernelName(of btf: borrowing FileDescriptor) throws(SyscallError) -> String? {
        let fd = btf.rawValue
        var name = [UInt8](repeating: 0, count: 64)
        let isKernel = try name.withMutableBytes { (buffer) throws(SyscallError) in
            var info = BTFInfoLayout()
            info.name = kernelAddress(buffer.baseAddress)
            info.nameLen = UInt32(buffer.count)
            try ObjectInfo.get(fd, into: &info)
            return info.kernelBTF != 0
        }
        guard isKernel else { return nil }
        return String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
    }
}
