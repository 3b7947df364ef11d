import BPF
import BPFObject
import Glibc

/// `swiftbpf prog load|show|list|run|dump|attach`.
enum ProgCommand {
    static let help = """
        usage: swiftbpf prog load FILE [--pin-dir DIR] [--type TYPE] [--token BPFFS]
               swiftbpf prog show [ID | --pinned PATH] [--json]
               swiftbpf prog list [--json]
               swiftbpf prog run ID | --pinned PATH [--data-in FILE] [--data-out FILE]
                                 [--ctx-in FILE] [--ctx-out FILE] [--repeat N]
               swiftbpf prog dump xlated ID | --pinned PATH
               swiftbpf prog attach ID | --pinned PATH TARGET… --pin LINK_PATH

        show/list print programs in the kernel as `bpftool prog show` does (id, type,
        name, tag, gpl, loaded_at, uid, xlated/jited sizes, memlock, map_ids,
        btf_id), followed by their metadata: the bpf_metadata_* variables of the
        first bound read-only data map, whoever loaded the program.

        Creates the object's maps and loads every program into the kernel, then
        prints each program's kernel id, name and type. With --pin-dir, pins each
        program at DIR/<program name> on a bpffs (as `bpftool prog loadall` does)
        so that it outlives this process; if any program fails, nothing stays pinned.
        --type gives the program type of programs whose section names none
        (e.g. socket_filter, xdp, sched_cls). --token loads through a BPF token
        from the delegated bpffs BPFFS (`--token ""`: none); without it, libbpf's
        default: LIBBPF_BPF_TOKEN_PATH, else /sys/fs/bpf when it delegates.

        dump xlated prints the kernel's translated instructions as `bpftool prog
        dump xlated` does (function signatures and source lines from the
        program's BTF, helpers named through /proc/kallsyms), each map
        reference followed by the map's name (`// counts`).

        run test-runs a loaded program in the kernel (BPF_PROG_TEST_RUN) on the
        packet in --data-in and/or the context in --ctx-in (FILE `-`: standard
        input/output), --repeat times, and prints its return value and run time
        as `bpftool prog run` does; --data-out/--ctx-out save what it left.

        attach attaches a loaded program through a BPF link and pins the link at
        LINK_PATH (required: an unpinned link would end with this command);
        remove the pin, or `swiftbpf link detach`, to detach. TARGET is one of:
        \(ProgAttach.targets)

        examples:
          swiftbpf prog load TestData/obj/multi.bpfel.o
          swiftbpf prog load prog.o --pin-dir /sys/fs/bpf/myprog
          swiftbpf prog run --pinned /sys/fs/bpf/myprog/xdp_pass --data-in packet.bin --repeat 1000
          swiftbpf prog dump xlated 42
          swiftbpf prog attach --pinned /sys/fs/bpf/myprog/xdp_pass xdp eth0 --pin /sys/fs/bpf/xdp_link
        """

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(
            words,
            valued: [
                "pin-dir", "type", "token", "pinned", "data-in", "data-out", "ctx-in", "ctx-out", "repeat", "pin",
                "mode",
            ],
            flags: ["help", "json"], help: help)
        if args.flag("help") { print(help); return }
        switch args.positionals.first {
        case "load": try load(args)
        case "show", "list": try show(args)
        case "run": try testRun(args)
        case "dump": try ProgDump.run(args, help: help)
        case "attach": try ProgAttach.run(args, help: help)
        default: throw UsageError(message: "expected 'load', 'show', 'list', 'run', 'dump' or 'attach'", help: help)
        }
    }

    static func show(_ args: Arguments) throws {
        var listings: [ProgramListing] = []
        if let path = args.option("pinned") {
            let fd = try KernelObjectIDs.open(pinned: path)
            listings.append(try ProgramListing(fd))
        } else if args.positionals.count == 2 {
            guard let id = UInt32(args.positionals[1]) else {
                throw UsageError(message: "'\(args.positionals[1])' is not a program id", help: help)
            }
            let fd = try KernelObjectIDs.open(.program, id: id)
            listings.append(try ProgramListing(fd))
        } else {
            for id in try KernelObjectIDs.all(.program) {
                // Programs may vanish between listing and opening.
                guard let fd = try? KernelObjectIDs.open(.program, id: id) else { continue }
                listings.append(try ProgramListing(fd))
            }
        }
        if args.flag("json") {
            print(
                args.positionals.count == 2 || args.option("pinned") != nil
                    ? (listings.first?.json ?? .null).rendered() : JSON.array(listings.map(\.json)).rendered())
        } else {
            print(listings.map(\.text).joined(), terminator: "")
        }
    }

    static func load(_ args: Arguments) throws {
        guard args.positionals.count == 2 else { throw UsageError(message: "expected 'load FILE'", help: help) }
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
        if let token = args.option("token") { options.token = token.isEmpty ? .none : .path(token) }
        let progress = TerminalProgress()
        options.progress = { step in
            progress.update(
                step.stage == .maps ? "creating maps" : "loading programs", completed: step.completed, total: step.total
            )
        }
        let spec = try ObjectSpec(contentsOfFile: args.positionals[1])
        // Program names come from the object: each must be one path component, checked before anything is made.
        var paths: [(String, String)] = []
        if let dir = args.option("pin-dir") {
            paths = try spec.programsToLoad.map { program in
                guard let path = ObjectCommands.path(in: dir, named: program.name) else {
                    throw CommandFailure(
                        description:
                            "program '\(program.name)' cannot be pinned in \(dir): its name is not one path component")
                }
                return (program.name, path)
            }
        }
        let object: LoadedObject
        do {
            defer { progress.finish() }
            object = try spec.load(options)
        }
        var pinned: [String] = []
        if let dir = args.option("pin-dir") {
            let created = mkdir(dir, 0o755) == 0
            do {
                for (name, path) in paths {
                    guard let program = object.program(named: name) else { continue }
                    try program.pin(at: path)
                    pinned.append(path)
                }
            } catch {
                // Nothing stays behind: the programs' pins, the directory, and the maps this load pinned by name.
                for path in pinned + object.createdPins { unlink(path) }
                if created { rmdir(dir) }
                throw error
            }
        }
        for program in object.programs {
            guard let info = try? program.info() else { continue }
            let name = program.name
            print(
                "\(info.id): \(info.type)  name \(name)\(pinned.isEmpty ? "" : "  pinned \(args.option("pin-dir") ?? "")/\(name)")"
            )
        }
    }
}
