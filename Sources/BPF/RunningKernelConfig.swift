import BPFObject
import BTF
import ELF64
import Glibc
import Inflate

extension KernelConfig {
    /// The running kernel's configuration (`/proc/config.gz`, else `/boot/config-<release>`),
    /// plus the values libbpf defines for every kernel: `LINUX_KERNEL_VERSION`,
    /// `LINUX_HAS_BPF_COOKIE` and `LINUX_HAS_SYSCALL_WRAPPER`.
    public static func running(kernelBTFPath: String = "/sys/kernel/btf/vmlinux") -> KernelConfig {
        running(kernelBTF: try? BTF(contentsOfFile: kernelBTFPath))
    }

    /// The running kernel's configuration, its feature values read from `btf` (vmlinux's, already open).
    static func running(kernelBTF btf: BTF?) -> KernelConfig {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let machine = withUnsafeBytes(of: name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var config = KernelConfig(values: [:])
        if let gz = try? ByteStorage(contentsOfFile: "/proc/config.gz"),
            let text = try? Gzip.decompress(Array(gz.bytes))
        {
            config = KernelConfig(text: String(decoding: text, as: UTF8.self))
        } else if let text = try? ByteStorage(contentsOfFile: "/boot/config-" + release) {
            config = KernelConfig(text: text.text)
        }
        if let code = kernelVersionCode(release: release) { config["LINUX_KERNEL_VERSION"] = String(code) }
        // bpf_get_attach_cookie came with BPF cookies (5.15); syscall wrappers are named __<arch>_sys_*.
        // (Three names: looked up by a scan, not through vmlinux's name index, which a load may not need.)
        config["LINUX_HAS_BPF_COOKIE"] =
            btf?.containsType(named: "bpf_get_attach_cookie_trace", kind: .function) == true
                || btf?.containsType(named: "bpf_get_attach_cookie", kind: .function) == true ? "y" : "n"
        let prefix = machine == "x86_64" ? "__x64" : machine == "aarch64" ? "__arm64" : "__\(machine)"
        config["LINUX_HAS_SYSCALL_WRAPPER"] =
            btf?.containsType(named: prefix + "_sys_bpf", kind: .function) == true ? "y" : "n"
        return config
    }
}
