import Foundation
import PackagePlugin

/// For each `*.bpf.c` of a target: compiles it with clang for BPF (`-g -O2`, with a `vmlinux.h`
/// dumped from the running kernel's BTF on the include path) and generates its typed Swift
/// skeleton with `swiftbpf gen skeleton`, so that `swift build` gives the typed API. The skeleton
/// is named after the file (`syscall_counter.bpf.c` → `SyscallCounter`). SwiftPM refuses C files
/// among a Swift target's sources, so the target excludes them (`exclude: ["getpid_counter.bpf.c"]`,
/// or a folder of them) and the plugin finds them in the target's directory itself.
@main
struct BPFSkeletonPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let sources = Self.bpfSources(in: target.directoryURL)
        guard !sources.isEmpty else { return [] }
        let swiftbpf = try context.tool(named: "swiftbpf").url
        let clang: URL
        do { clang = try context.tool(named: "clang").url } catch {
            throw PluginFailure(
                "BPFSkeletonPlugin: clang with the BPF target is needed to compile "
                    + sources.map(\.lastPathComponent).joined(separator: ", ")
                    + " (Debian/Ubuntu: apt-get install clang; for <bpf/bpf_helpers.h>: apt-get install libbpf-dev)")
        }
        let work = context.pluginWorkDirectoryURL
        let include = work.appending(path: "include")
        let header = include.appending(path: "vmlinux.h")
        // The header is not declared as an output (SwiftPM would take it for a source of the
        // target): a stamp carries the dependency, an empty Swift file (any other kind of output
        // would become a resource, and a resource bundle brings Foundation in).
        let stamp = work.appending(path: "VmlinuxHeaderStamp.swift")
        let kernelBTF = URL(filePath: "/sys/kernel/btf/vmlinux")
        var commands: [Command] = [
            .buildCommand(
                displayName: "vmlinux.h from the running kernel's BTF",
                executable: URL(filePath: "/bin/sh"),
                arguments: [
                    "-c",
                    "mkdir -p \"$2\" && \"$0\" btf dump \"$1\" --format c > \"$3\" && echo '// vmlinux.h was generated for this target by BPFSkeletonPlugin.' > \"$4\"",
                    swiftbpf.path, kernelBTF.path, include.path, header.path, stamp.path,
                ],
                inputFiles: [swiftbpf], outputFiles: [stamp])
        ]
        // Both steps in one command: the object is not an output SwiftPM sees (it would copy it as
        // a resource, and a resource bundle brings Foundation in).
        let steps =
            "clang=$1 swiftbpf=$2 object=$3 skeleton=$4; shift 4; "
            + "\"$clang\" \"$@\" && \"$swiftbpf\" gen skeleton \"$object\" --output \"$skeleton\""
        for source in sources {
            let base = String(source.lastPathComponent.dropLast(".c".count))  // name.bpf
            let object = work.appending(path: base + ".o")
            let skeleton = work.appending(path: base + ".swift")
            let compile =
                ["-target", "bpf", "-g", "-O2", "-Wall", "-I", include.path] + Self.systemIncludes
                + ["-c", source.path, "-o", object.path]
            commands.append(
                .buildCommand(
                    displayName: "clang -target bpf \(source.lastPathComponent), swiftbpf gen skeleton",
                    executable: URL(filePath: "/bin/sh"),
                    arguments: [
                        "-c", steps, "BPFSkeletonPlugin", clang.path, swiftbpf.path, object.path, skeleton.path,
                    ]
                        + compile,
                    inputFiles: [source, stamp, swiftbpf], outputFiles: [skeleton]))
        }
        return commands
    }

    /// Every `*.bpf.c` under `directory`, in path order.
    static func bpfSources(in directory: URL) -> [URL] {
        guard let walk = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
            return []
        }
        return walk.compactMap { $0 as? URL }.filter { $0.lastPathComponent.hasSuffix(".bpf.c") }
            .sorted { $0.path < $1.path }
    }

    /// The multiarch include directory (`asm/types.h` for `linux/*.h`).
    static var systemIncludes: [String] {
        #if arch(x86_64)
            ["-I", "/usr/include/x86_64-linux-gnu"]
        #elseif arch(arm64)
            ["-I", "/usr/include/aarch64-linux-gnu"]
        #else
            []
        #endif
    }
}

struct PluginFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
