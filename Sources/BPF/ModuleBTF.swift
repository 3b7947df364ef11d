import Glibc

/// Kernel BTF objects by name ("vmlinux", or a module's), found among the kernel's BTF ids as
/// libbpf's `load_module_btfs` does: `fd_array` hands their descriptors to the verifier for the
/// kfuncs and variables of modules.
public enum KernelBTFObjects {
    /// A new descriptor for the kernel BTF object named `name`; `nil` when no loaded module has that name.
    public static func open(named name: String) throws(SyscallError) -> FileDescriptor? {
        for id in try KernelObjectIDs.all(.btf) {
            let fd: FileDescriptor
            do { fd = try KernelObjectIDs.open(.btf, id: id) } catch where error.errno == ENOENT { continue }  // unloaded meanwhile
            if try kernelName(of: fd.rawValue) == name { return fd }
        }
        return nil
    }

    /// The name of the kernel BTF object behind `fd`; `nil` for a program's BTF.
    public static func kernelName(of fd: Int32) throws(SyscallError) -> String? {
        var name = [UInt8](repeating: 0, count: 64)
        let result = name.withUnsafeMutableBytes { buffer -> Result<Bool, SyscallError> in
            // struct bpf_btf_info: name pointer at 16, its length at 24, kernel_btf at 28.
            var info = Attribute(size: 32)
            info.set(UnsafeRawPointer(buffer.baseAddress), at: 16)
            info.set(UInt32(buffer.count), at: 24)
            do throws(SyscallError) { try ObjectInfo.get(fd, into: &info); return .success(info.u32(at: 28) != 0) } catch { return .failure(error) }
        }
        guard try result.get() else { return nil }
        return String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
    }
}
