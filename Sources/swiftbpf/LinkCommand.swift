import BPF
import Glibc

/// `swiftbpf link list|show`.
enum LinkCommand {
    static let help = """
        usage: swiftbpf link list [--json]
               swiftbpf link show ID | --pinned PATH [--json]
               swiftbpf link detach ID | --pinned PATH

        list/show print BPF links in the kernel as the first line of `bpftool link
        show` does: id, link type and the id of the program attached. detach
        detaches a link's program at once (BPF_LINK_DETACH), even one kept alive
        by a pin or another process; remove the pin separately.

        examples:
          swiftbpf link list
          swiftbpf link show --pinned /sys/fs/bpf/my_link --json
          swiftbpf link detach 12
        """

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: ["pinned"], flags: ["help", "json"], help: help)
        if args.flag("help") { print(help); return }
        var links: [LinkInfo] = []
        switch args.positionals.first {
        case "list":
            for id in try KernelObjectIDs.all(.link) {
                guard let fd = try? KernelObjectIDs.open(.link, id: id) else { continue }  // detached since listed
                links.append(try LinkInfo(of: fd))
            }
        case "show", "detach":
            let fd = try args.openObject(.link, help: help)
            if args.positionals.first == "detach" {
                try detach(fd.rawValue)
                return
            }
            links = [try LinkInfo(of: fd)]
        default:
            throw UsageError(message: "expected 'list', 'show' or 'detach'", help: help)
        }
        if args.flag("json") {
            let items = links.map { link -> JSON in
                .object([
                    ("id", .uint(UInt64(link.id))), ("type", .string(link.typeName)),
                    ("prog_id", .uint(UInt64(link.programID))),
                ])
            }
            print((args.positionals.first == "show" ? items.first ?? .null : .array(items)).rendered())
        } else {
            // bpftool ends the header with two spaces before type-specific details.
            for link in links { print("\(link.id): \(link.typeName)  prog \(link.programID)  ") }
        }
    }

    /// `BPF_LINK_DETACH`, explaining the link types (perf_event…) that cannot be detached early.
    static func detach(_ link: Int32) throws {
        let result = Result { () throws(SyscallError) in try LinkCommands.detach(link: link) }
        guard case let .failure(error) = result else { return }
        guard error.errno == EOPNOTSUPP else { throw error }
        throw CommandFailure(
            description: "\(error): this link type cannot be detached early; remove its pins and close its descriptors")
    }
}
