import BPFObject
import ELF64
import Skeleton

/// `swiftbpf gen skeleton OBJECT …` and `swiftbpf gen object OUTPUT INPUT…`.
enum GenCommand {
    static let help = """
        usage: swiftbpf gen skeleton OBJECT [--name NAME] [--access public|package|internal] [--output FILE]
                                       [--object-path PATH]
               swiftbpf gen object OUTPUT INPUT...

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

        examples:
          swiftbpf gen skeleton TestData/obj/globals.bpfel.o --name Globals --output Globals.swift
          swiftbpf gen object linked.o TestData/obj/link_main.bpfel.o TestData/obj/link_lib.bpfel.o
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
        guard args.positionals.count == 2, args.positionals[0] == "skeleton" else {
            throw UsageError(message: "expected 'skeleton OBJECT' or 'object OUTPUT INPUT...'", help: help)
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
