import BPF
import CBPFSyscall
import Glibc

/// `swiftbpf token list|mount`.
enum TokenCommand {
    static let help = """
        usage: swiftbpf token list [--json]
               swiftbpf token mount --pid PID PATH [--delegate-cmds LIST] [--delegate-maps LIST]
                                    [--delegate-progs LIST] [--delegate-attachs LIST]

        list prints each bpffs mount that delegates BPF rights, with the bpf(2)
        commands, map types, program types and attach types it delegates, as
        `bpftool token list` does. A process in the mount's user namespace creates
        a BPF token from it (swiftbpf prog load --token PATH).

        mount (privileged: CAP_SYS_ADMIN in the initial user namespace) mounts a
        bpffs at PATH (absolute, from the root of the process's mount namespace)
        in the mount namespace of process PID, owned by its user namespace and
        delegating what the options say; each LIST is `any`; names joined by ':'
        such as map_create:prog_load:btf_load, array:hash, socket_filter:xdp; or
        a number; an option left out delegates nothing of its kind. Delegate
        what the container's programs need: tracing program types (kprobe,
        tracing, or `any`) let it read kernel memory. This is the container
        manager's half of the set-up: the process inside then loads BPF with a
        token, without capabilities in the initial namespace. A process in this
        user namespace is refused (no token can be made there).

        examples:
          swiftbpf token list
          swiftbpf token mount --pid 4242 /sys/fs/bpf --delegate-cmds prog_load:btf_load:map_create \\
              --delegate-maps array:ringbuf --delegate-progs socket_filter --delegate-attachs any
        """

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(
            words, valued: ["pid", "delegate-cmds", "delegate-maps", "delegate-progs", "delegate-attachs"],
            flags: ["help", "json"], help: help)
        if args.flag("help") { print(help); return }
        switch args.positionals.first {
        case "list":
            guard args.positionals.count == 1 else { throw UsageError(message: "expected 'list'", help: help) }
            try list(json: args.flag("json"))
        case "mount":
            guard args.positionals.count == 2, let pidText = args.option("pid"), let pid = Int32(pidText), pid > 0
            else {
                throw UsageError(message: "expected 'mount --pid PID PATH'", help: help)
            }
            let options = DelegatedFilesystem.Options(
                commands: args.option("delegate-cmds") ?? "", maps: args.option("delegate-maps") ?? "",
                programs: args.option("delegate-progs") ?? "", attachTypes: args.option("delegate-attachs") ?? "")
            guard options != DelegatedFilesystem.Options() else {
                throw UsageError(message: "say what to delegate: --delegate-cmds, -maps, -progs, -attachs", help: help)
            }
            try TokenMount.mount(forProcess: pid, at: args.positionals[1], options)
        default:
            throw UsageError(message: "expected 'list' or 'mount'", help: help)
        }
    }

    private static func list(json: Bool) throws {
        let mounts = try DelegatedFilesystem.mounts()
        func fields(_ mount: DelegatedFilesystem.Mount) -> [(String, [String])] {
            [
                ("allowed_cmds", mount.commands), ("allowed_maps", mount.maps), ("allowed_progs", mount.programs),
                ("allowed_attachs", mount.attachTypes),
            ]
        }
        if json {
            print(
                JSON.array(
                    mounts.map { mount in
                        .object(
                            [("token_info", .string(mount.path))]
                                + fields(mount).map { ($0.0, .array($0.1.map { .string($0) })) })
                    }
                ).rendered())
            return
        }
        for mount in mounts {
            print("token_info  \(mount.path)")
            for (name, names) in fields(mount) {
                print("\t\(name):")
                if !names.isEmpty { print("\t  " + names.joined(separator: "  ")) }
            }
        }
    }
}
