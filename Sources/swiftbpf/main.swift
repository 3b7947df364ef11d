import Glibc

/// `swiftbpf`: inspect, load and observe BPF objects.
///
/// Exit codes: 0 success, 1 the operation failed, 2 the command line was wrong.
enum SwiftBPF {
    static let commands: [(name: String, summary: String, run: @Sendable (ArraySlice<String>) throws -> Void)] = [
        ("inspect", "show an object file's header, sections, symbols and relocations", Inspect.run),
        ("disasm", "print programs' instructions, before or after relocation", DisasmCommand.run),
        ("btf", "dump BTF types from an object or a raw BTF file, as bpftool does", BTFCommand.run),
        ("prog", "load objects; list and show programs with their metadata", ProgCommand.run),
        ("map", "list, show and dump maps in the kernel", MapCommand.run),
        ("link", "list and show BPF links (attachments) in the kernel", LinkCommand.run),
        ("struct_ops", "register, list and unregister struct_ops maps (kernel ops in BPF)", StructOpsCommand.run),
        ("feature", "probe which program and map types this kernel supports", FeatureCommand.run),
        ("gen", "generate a typed Swift skeleton of an object, or link objects", GenCommand.run),
        ("token", "list delegated bpffs mounts; mount one for a container's user namespace", TokenCommand.run),
        ("usdt", "list the USDT probes of a binary, as readelf -n shows them, and where they attach", USDTCommand.run),
    ]

    static var help: String {
        """
        usage: swiftbpf COMMAND [ARGS...]

        commands:
        \(commands.map { "  \($0.name.padding(12))\($0.summary)" }.joined(separator: "\n"))

        Run 'swiftbpf COMMAND --help' for a command's options.
        Exit codes: 0 success, 1 the operation failed, 2 usage error.
        """
    }

    /// Runs the command `arguments` name and returns the exit code.
    static func run(_ arguments: ArraySlice<String>) -> Int32 {
        var standardError = StandardError()
        guard let verb = arguments.first, verb != "--help", verb != "-h", verb != "help" else {
            print(help)
            return arguments.isEmpty ? 2 : 0
        }
        guard let command = commands.first(where: { $0.name == verb }) else {
            print("swiftbpf: unknown command '\(verb)'\n\n\(help)", to: &standardError)
            return 2
        }
        do {
            try command.run(arguments.dropFirst())
            return 0
        } catch let error as UsageError {
            print("swiftbpf \(verb): \(error.message)\n\n\(error.help)", to: &standardError)
            return 2
        } catch {
            print("swiftbpf \(verb): \(error)", to: &standardError)
            return 1
        }
    }
}

// No global variables here: in Swift 6 they would be main-actor isolated, and the main actor
// alone links Swift Concurrency and libdispatch (0.7 MB) into the static binary.
exit(SwiftBPF.run(CommandLine.arguments.dropFirst()))
