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
        running(keeping: nil, attachCookies: nil) { try? BTF(contentsOfFile: kernelBTFPath) }
    }

    /// The running kernel's configuration, all of it or only the options `names` lists (a load's
    /// `__kconfig` externs: the configuration file is not read when they name only the values
    /// libbpf defines). `LINUX_HAS_BPF_COOKIE` is `attachCookies` (a load's feature probe) or,
    /// without it, read from vmlinux's BTF as `LINUX_HAS_SYSCALL_WRAPPER` is; `kernelBTF` is asked
    /// for it only when one of them needs it.
    static func running(
        keeping names: [String]?, attachCookies: (() -> Bool)?, kernelBTF: () -> BTF?
    ) -> KernelConfig {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let machine = withUnsafeBytes(of: name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        func parse(_ text: UnsafeBufferPointer<UInt8>) -> KernelConfig {
            names.map { KernelConfig(text: text, keeping: $0) }
                ?? KernelConfig(text: String(decoding: text, as: UTF8.self))
        }
        let defined = ["LINUX_KERNEL_VERSION", "LINUX_HAS_BPF_COOKIE", "LINUX_HAS_SYSCALL_WRAPPER"]
        var config = KernelConfig(values: [:])
        if let names, names.allSatisfy(defined.contains) {
            // Only libbpf's own values: nothing to read from the configuration file.
        } else if let gz = try? ByteStorage(contentsOfFile: "/proc/config.gz"),
            // (The storage kept alive while its bytes are read: a view does not own them.)
            let parsed = try? Gzip.withDecompressed(withExtendedLifetime(gz) { Array(gz.bytes) }, parse)
        {
            config = parsed  // parsed in place: the inflated text is never copied
        } else if let text = try? ByteStorage(contentsOfFile: "/boot/config-" + release) {
            config = withExtendedLifetime(text) { parse(text.bytes.assumingMemoryBound(to: UInt8.self)) }
        }
        func wanted(_ option: String) -> Bool { names?.contains(option) ?? true }
        if wanted("LINUX_KERNEL_VERSION"), let code = kernelVersionCode(release: release) {
            config["LINUX_KERNEL_VERSION"] = String(code)
        }
        let cookie = wanted("LINUX_HAS_BPF_COOKIE"), wrapper = wanted("LINUX_HAS_SYSCALL_WRAPPER")
        let btf = (cookie && attachCookies == nil) || wrapper ? kernelBTF() : nil
        // bpf_get_attach_cookie came with BPF cookies (5.15); syscall wrappers are named __<arch>_sys_*.
        // (Looked up by a scan, not through vmlinux's name index, which a load may not need.)
        if cookie {
            let supported =
                attachCookies?()
                ?? (btf?.containsType(named: "bpf_get_attach_cookie_trace", kind: .function) == true
                    || btf?.containsType(named: "bpf_get_attach_cookie", kind: .function) == true)
            config["LINUX_HAS_BPF_COOKIE"] = supported ? "y" : "n"
        }
        if wrapper {
            let prefix = machine == "x86_64" ? "__x64" : machine == "aarch64" ? "__arm64" : "__\(machine)"
            config["LINUX_HAS_SYSCALL_WRAPPER"] =
                btf?.containsType(named: prefix + "_sys_bpf", kind: .function) == true ? "y" : "n"
        }
        return config
    }
}
