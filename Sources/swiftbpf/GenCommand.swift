import BPFObject
import BTF
import ELF64
import Skeleton

/// `swiftbpf gen skeleton OBJECT …` and `swiftbpf gen object OUTPUT INPUT…`.
enum GenCommand {
    static let help = """
        usage: swiftbpf gen skeleton OBJECT [--name NAME] [--access public|package|internal] [--output FILE]
                                       [--object-path PATH]
               swiftbpf gen object OUTPUT INPUT...
               swiftbpf gen min_core_btf INPUT_BTF OUTPUT OBJECT...

        skeleton writes a Swift file declaring NAME (by default the object's file name in
        upper camel case: count_getpid.bpf.o gives CountGetpid), a ~Copyable type with the
        object embedded: NAME.open() gives its spec, whose global data (.rodata, .data,
        .bss and custom sections) is typed and settable before spec.load(); the loaded
        skeleton has one property per program (skel.programs.countGetpid) and per map
        (skel.maps.events), and its global data live (skel.bss.total). C types become
        Swift values of the same size whose members are read at their BTF offsets.
        The file goes to standard output unless --output is given. With --object-path the
        object is not embedded: open(path:) reads it from PATH (by default) at run time.

        object links BPF objects into OUTPUT as bpftool gen object does: sections of one
        name appended, globals resolved across inputs (one strong definition, externs and
        weak ones joining it), .maps definitions of one name checked equal, BTF merged and
        deduplicated, .BTF.ext records rebased. Nothing is written when linking fails.

        min_core_btf writes to OUTPUT the part of INPUT_BTF (raw BTF, such as
        /sys/kernel/btf/vmlinux, or an ELF file's .BTF) that the objects' CO-RE
        relocations use, as bpftool gen min_core_btf does: shipped with the objects, it
        relocates them on a kernel without BTF as the full BTF would.

        examples:
          swiftbpf gen skeleton TestData/obj/globals.bpfel.o --name Globals --output Globals.swift
          swiftbpf gen object linked.o TestData/obj/link_main.bpfel.o TestData/obj/link_lib.bpfel.o
          swiftbpf gen min_core_btf /sys/kernel/btf/vmlinux core.btf TestData/obj/core.bpfel.o
        """

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(
            words, valued: ["name", "access", "output", "object-path"], flags: ["help"], help: help)
        if args.flag("help") { print(help); return }
        if args.positionals.first == "object" {
            guard args.positionals.count >= 3 else {
                throw UsageError(message: "expected 'object OUTPUT INPUT...'", help: help)
            }
            let inputs = try args.positionals.dropFirst(2).map { path in
                BPFLinker.Input(name: path, file: try ELFFile(ByteStorage(contentsOfFile: path)))
            }
            try ProgCommand.writeFile(args.positionals[1], try BPFLinker.link(inputs))
            return
        }
        if args.positionals.first == "min_core_btf" {
            guard args.positionals.count >= 4 else {
                throw UsageError(message: "expected 'min_core_btf INPUT_BTF OUTPUT OBJECT...'", help: help)
            }
            let storage = try ByteStorage(contentsOfFile: args.positionals[1])
            let target =
                storage.bytes.starts(with: [0x7f, 0x45, 0x4c, 0x46])
                ? try BTF(elf: try ELFFile(storage)) : try BTF(storage)
            var minimal = MinimalCOREBTF(target: target)
            for path in args.positionals.dropFirst(3) {
                let object = try ELFFile(ByteStorage(contentsOfFile: path))
                let btf = try BTF(elf: object)
                guard let ext = try BTFExt(elf: object, btf: btf) else {
                    throw CommandFailure(description: "\(path) has no .BTF.ext: no CO-RE relocations to keep types for")
                }
                try minimal.add(btf: btf, ext: ext)
            }
            try ProgCommand.writeFile(args.positionals[2], try minimal.minimized().encode(byteOrder: target.byteOrder))
            return
        }
        guard args.positionals.count == 2, args.positionals[0] == "skeleton" else {
            throw UsageError(
                message:
                    "expected 'skeleton OBJECT', 'object OUTPUT INPUT...' or 'min_core_btf INPUT_BTF OUTPUT OBJECT...'",
                help: help)
        }
        let path = args.positionals[1]
        guard let access = SkeletonGenerator.Access(rawValue: args.option("access") ?? "public") else {
            throw UsageError(
                message: "unknown access '\(args.option("access") ?? "")' (public, package or internal)", help: help)
        }
        let spec = try ObjectSpec(contentsOfFile: path)
        let file = path.split(separator: "/").last.map(String.init) ?? path
        var generator = try SkeletonGenerator(
            spec: spec, name: args.option("name") ?? SkeletonGenerator.defaultName(forFile: path), access: access,
            source: file)
        generator.objectPath = args.option("object-path")
        let text = try generator.generate()
        if let output = args.option("output") {
            try ProgCommand.writeFile(output, Array(text.utf8))
        } else {
            print(text, terminator: "")
        }
    }
}
