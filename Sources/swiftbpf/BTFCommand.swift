import BTF

/// `swiftbpf btf dump FILE [--format raw|c] [--base FILE]`.
enum BTFCommand {
    static let help = """
        usage: swiftbpf btf dump FILE [--format raw|c] [--base BASEFILE]

        Dumps the BTF types of FILE: an ELF object with a .BTF section, or raw
        BTF such as /sys/kernel/btf/vmlinux. --format raw (the default) prints
        exactly what `bpftool btf dump file FILE format raw` prints; --format c
        prints a C header (vmlinux.h) that compiles and reproduces every
        struct's size and member offsets. For split
        BTF (a kernel module's, /sys/kernel/btf/<module>) give its base with
        --base; modules under /sys/kernel/btf/ get vmlinux as base by default.

        examples:
          swiftbpf btf dump /sys/kernel/btf/vmlinux | head
          swiftbpf btf dump /sys/kernel/btf/vmlinux --format c > vmlinux.h
          swiftbpf btf dump TestData/obj/multi.bpfel.o
          swiftbpf btf dump /sys/kernel/btf/nf_tables --base /sys/kernel/btf/vmlinux
        """

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: ["format", "base"], flags: ["help"], help: help)
        if args.flag("help") { print(help); return }
        guard args.positionals.count == 2, args.positionals[0] == "dump" else {
            throw UsageError(message: "expected 'dump FILE'", help: help)
        }
        let path = args.positionals[1]
        let format = args.option("format") ?? "raw"
        guard format == "raw" || format == "c" else {
            throw UsageError(message: "unknown format '\(format)' (expected raw or c)", help: help)
        }
        var basePath = args.option("base")
        if basePath == nil, path.hasPrefix("/sys/kernel/btf/"), path != "/sys/kernel/btf/vmlinux" {
            basePath = "/sys/kernel/btf/vmlinux"
        }
        let base = try basePath.map { path throws(BTFError) in try BTF(contentsOfFile: path) }
        let btf = try BTF(contentsOfFile: path, base: base)
        var out = BufferedStandardOutput()
        defer { out.flush() }
        if format == "c" { try btf.dumpC(to: &out) } else { try btf.dumpRaw(to: &out) }
    }
}
