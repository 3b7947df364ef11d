import BPF
import BTF
import ELF64

/// `swiftbpf btf dump FILE | dump id ID`, `swiftbpf btf list`.
enum BTFCommand {
    static let help = """
        usage: swiftbpf btf dump FILE [--format raw|c] [--base BASEFILE]
               swiftbpf btf dump id ID [--format raw|c]
               swiftbpf btf list [--json]

        dump prints the BTF types of FILE (an ELF object with a .BTF section, or
        raw BTF such as /sys/kernel/btf/vmlinux) or of the kernel's BTF object
        ID. --format raw (the default) prints exactly what `bpftool btf dump
        file FILE format raw` prints; --format c prints a C header (vmlinux.h)
        that compiles and reproduces every struct's size and member offsets.
        Split BTF (a kernel module's) is read over vmlinux: files under
        /sys/kernel/btf/ and kernel objects get it by default, others with --base.

        list prints the BTF objects in the kernel as `bpftool btf list` does:
        id, name, size, and the programs and maps using each.

        examples:
          swiftbpf btf dump /sys/kernel/btf/vmlinux | head
          swiftbpf btf dump /sys/kernel/btf/vmlinux --format c > vmlinux.h
          swiftbpf btf dump TestData/obj/multi.bpfel.o
          swiftbpf btf dump /sys/kernel/btf/nf_tables --base /sys/kernel/btf/vmlinux
          swiftbpf btf list
          swiftbpf btf dump id 1 --format c
        """

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: ["format", "base"], flags: ["help", "json"], help: help)
        if args.flag("help") { print(help); return }
        switch args.positionals.first {
        case "list":
            guard args.positionals.count == 1 else {
                throw UsageError(message: "'list' takes no arguments", help: help)
            }
            try list(json: args.flag("json"))
        case "dump":
            let format = args.option("format") ?? "raw"
            guard format == "raw" || format == "c" else {
                throw UsageError(message: "unknown format '\(format)' (expected raw or c)", help: help)
            }
            let btf = try read(args)
            var out = BufferedStandardOutput()
            defer { out.flush() }
            if format == "c" { try btf.dumpC(to: &out) } else { try btf.dumpRaw(to: &out) }
        default:
            throw UsageError(message: "expected 'dump FILE', 'dump id ID' or 'list'", help: help)
        }
    }

    /// The BTF `dump FILE` or `dump id ID` names, over its base when it is split.
    static func read(_ args: Arguments) throws -> BTF {
        let vmlinux = "/sys/kernel/btf/vmlinux"
        if args.positionals.count == 3, args.positionals[1] == "id" {
            guard let id = UInt32(args.positionals[2]) else {
                throw UsageError(message: "'\(args.positionals[2])' is not a BTF id", help: help)
            }
            let fd = try KernelObjectIDs.open(.btf, id: id)
            let object = try KernelBTFObject(of: fd)
            let base = object.isKernel && object.name != "vmlinux" ? try BTF(contentsOfFile: vmlinux) : nil
            return try BTF(ByteStorage(copying: object.bytes), base: base)
        }
        guard args.positionals.count == 2 else {
            throw UsageError(message: "expected 'dump FILE' or 'dump id ID'", help: help)
        }
        let path = args.positionals[1]
        var basePath = args.option("base")
        if basePath == nil, path.hasPrefix("/sys/kernel/btf/"), path != vmlinux { basePath = vmlinux }
        let base = try basePath.map { path throws(BTFError) in try BTF(contentsOfFile: path) }
        return try BTF(contentsOfFile: path, base: base)
    }

    static func list(json asJSON: Bool) throws {
        // Which programs and maps use each BTF object, as bpftool shows them.
        var programs: [UInt32: [UInt32]] = [:], maps: [UInt32: [UInt32]] = [:]
        for id in try KernelObjectIDs.all(.program) {
            guard let fd = try? KernelObjectIDs.open(.program, id: id), let info = try? ProgramInfo(of: fd),
                info.btfID != 0
            else { continue }
            programs[info.btfID, default: []].append(id)
        }
        for id in try KernelObjectIDs.all(.map) {
            guard let fd = try? KernelObjectIDs.open(.map, id: id), let info = try? MapInfo(of: fd),
                info.btfID != 0
            else { continue }
            maps[info.btfID, default: []].append(id)
        }
        var items: [JSON] = []
        for id in try KernelObjectIDs.all(.btf) {
            guard let fd = try? KernelObjectIDs.open(.btf, id: id), let object = try? KernelBTFObject(of: fd) else {
                continue
            }
            let programIDs = programs[id] ?? [], mapIDs = maps[id] ?? []
            if asJSON {
                items.append(
                    .object([
                        ("id", .uint(UInt64(id))), ("size", .uint(UInt64(object.bytes.count))),
                        ("prog_ids", .array(programIDs.map { .uint(UInt64($0)) })),
                        ("map_ids", .array(mapIDs.map { .uint(UInt64($0)) })),
                        ("name", .string(object.name)), ("kernel", .bool(object.isKernel)),
                    ]))
                continue
            }
            var line = "\(id): name \(object.name.isEmpty ? "<anon>" : "[\(object.name)]")  size \(object.bytes.count)B"
            if !programIDs.isEmpty { line += "  prog_ids \(programIDs.map(String.init).joined(separator: ","))" }
            if !mapIDs.isEmpty { line += "  map_ids \(mapIDs.map(String.init).joined(separator: ","))" }
            print(line)
        }
        if asJSON { print(JSON.array(items).rendered()) }
    }
}
