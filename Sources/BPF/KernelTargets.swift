import BPFObject
import BTF
import ELF64
import Glibc
import Synchronization

/// The running kernel as one load sees it: vmlinux's BTF (with its name index), the modules' BTF
/// and the kernel configuration, each read on first need and at most once. CO-RE, `__ksym`
/// externs, attach targets, struct_ops layouts and `__kconfig` all ask this one cache, as
/// cilium/ebpf's collection loader asks its `btf.Cache`.
final class KernelTargets {
    private let options: LoadOptions
    private var vmlinuxBTF: BTF?
    private var modules: [(name: String, btf: BTF)]?
    private var configuration: KernelConfig?

    init(_ options: LoadOptions) { self.options = options }

    /// How often each vmlinux path was read, process-wide (what tests check "once per load" with).
    static let reads = Mutex<[String: Int]>([:])

    /// vmlinux's BTF (`LoadOptions.kernelBTFPath`), its name index built on two threads.
    func vmlinux() throws(LoadError) -> BTF {
        let btf = try vmlinuxTypes()
        btf.nameIndex(concurrently: Threads.pair)  // once: a no-op when built
        return btf
    }

    /// vmlinux's BTF, read once, without its name index (what a few lookups by scan need).
    private func vmlinuxTypes() throws(LoadError) -> BTF {
        if let vmlinuxBTF { return vmlinuxBTF }
        let btf: BTF
        Self.reads.withLock { $0[options.kernelBTFPath, default: 0] += 1 }
        do { btf = try BTF(contentsOfFile: options.kernelBTFPath) } catch {
            throw .kernelBTF(path: options.kernelBTFPath, error: error)
        }
        vmlinuxBTF = btf
        return btf
    }

    /// vmlinux then every module's BTF (the files beside vmlinux), each with its kernel name; a
    /// module whose BTF does not read is left out, as libbpf does.
    func kernelObjects() throws(LoadError) -> [(name: String, btf: BTF)] {
        if let modules { return modules }
        let vmlinux = try vmlinux()
        var objects = [("vmlinux", vmlinux)]
        let directory = String(
            options.kernelBTFPath.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(
                separator: "/"))
        if let dir = opendir(directory) {
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                guard name != ".", name != "..", name != "vmlinux" else { continue }
                if let module = try? BTF(contentsOfFile: directory + "/" + name, base: vmlinux) {
                    objects.append((name, module))
                }
            }
        }
        modules = objects
        return objects
    }

    /// What CO-RE relocates against: the caller's BTF file (the btfhub case), else the running
    /// kernel's vmlinux and modules.
    func coreTargets() throws(LoadError) -> [BTF] {
        guard let path = options.coreTargetBTFPath else { return try kernelObjects().map(\.btf) }
        do { return [try BTF(contentsOfFile: path)] } catch { throw .kernelBTF(path: path, error: error) }
    }

    /// The configuration `__kconfig` externs read: the caller's, else the running kernel's options
    /// `names` (the load's externs; what the first call asks for is what the load keeps), with
    /// `LINUX_HAS_BPF_COOKIE` as `features` probe it.
    func kernelConfig(keeping names: [String], features: FeatureCache) -> KernelConfig {
        if let configuration { return configuration }
        let config =
            options.kernelConfig
            ?? KernelConfig.running(keeping: names, attachCookies: { features.attachCookies }) {
                try? vmlinuxTypes()
            }
        configuration = config
        return config
    }
}
