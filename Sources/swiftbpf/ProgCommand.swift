import BPF
import BPFObject
import Glibc

/// `swiftbpf prog load FILE [--pin-dir DIR]`.
enum ProgCommand {
    static let help = """
        usage: swiftbpf prog load FILE [--pin-dir DIR] [--type TYPE]

        Creates the object's maps and loads every program into the kernel, then
        prints each program's kernel id, name and type. With --pin-dir, pins each
        program at DIR/<program name> on a bpffs (as `bpftool prog loadall` does)
        so that it outlives this process; if any program fails, nothing stays pinned.
        --type gives the program type of programs whose section names none
        (e.g. socket_filter, xdp, sched_cls).

        examples:
          swiftbpf prog load TestData/obj/multi.bpfel.o
          swiftbpf prog load prog.o --pin-dir /sys/fs/bpf/myprog
        """

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: ["pin-dir", "type"], flags: ["help"], help: help)
        if args.flag("help") { print(help); return }
        guard args.positionals.count == 2, args.positionals[0] == "load" else {
            throw UsageError(message: "expected 'load FILE'", help: help)
        }
        var options = LoadOptions()
        options.diagnostics = { message in
            var standardError = StandardError()
            print("warning: \(message)", to: &standardError)
        }
        if let typeName = args.option("type") {
            guard let type = ProgramType.named(typeName) else {
                throw UsageError(message: "unknown program type '\(typeName)'", help: help)
            }
            options.defaultProgramType = type
        }
        let spec = try ObjectSpec(contentsOfFile: args.positionals[1])
        let object = try spec.load(options)
        var pinned: [String] = []
        if let dir = args.option("pin-dir") {
            mkdir(dir, 0o755)
            do {
                for name in object.programNames {
                    guard let fd = object.programDescriptor(named: name) else { continue }
                    try ObjectCommands.pin(descriptor: fd, at: dir + "/" + name)
                    pinned.append(dir + "/" + name)
                }
            } catch {
                for path in pinned { unlink(path) }
                throw error
            }
        }
        for name in object.programNames {
            guard let fd = object.programDescriptor(named: name), let info = try? ProgramInfo(descriptor: fd) else { continue }
            print("\(info.id): \(info.type)  name \(name)\(pinned.isEmpty ? "" : "  pinned \(args.option("pin-dir") ?? "")/\(name)")")
        }
    }
}
