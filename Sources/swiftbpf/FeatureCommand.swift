import BPF

/// `swiftbpf feature probe`.
enum FeatureCommand {
    static let help = """
        usage: swiftbpf feature probe [--json] [--token BPFFS]

        finds out, by trying, which program types and map types this kernel
        loads and creates, and whether BPF_PROG_BIND_MAP and the newer BTF kinds
        work. Types that need a kernel attach target or BTF (tracing, lsm, ext,
        struct_ops programs; local-storage, struct_ops and arena maps) are listed
        as "not probed". Needs CAP_BPF (root), or --token: a BPF token from the
        delegated bpffs BPFFS, whose answers are what the token allows.

        examples:
          swiftbpf feature probe
          swiftbpf feature probe --json
        """

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: ["token"], flags: ["help", "json"], help: help)
        if args.flag("help") { print(help); return }
        guard args.positionals == ["probe"] else { throw UsageError(message: "expected 'probe'", help: help) }
        let report: FeatureReport
        if let path = args.option("token") {
            report = Features.probe(with: try BPFToken(bpffs: path))
        } else {
            report = Features.probe()
        }
        if args.flag("json") {
            print(
                JSON.object([
                    (
                        "program_types",
                        .object(report.programTypes.map { ($0.type.description, .string($0.result.rawValue)) })
                    ),
                    ("map_types", .object(report.mapTypes.map { ($0.type.description, .string($0.result.rawValue)) })),
                    ("features", .object(report.features.map { ($0.name, .bool($0.supported)) })),
                ]).rendered())
            return
        }
        print("program types:")
        for (type, result) in report.programTypes { print("  \(type.description.padding(24))\(result.rawValue)") }
        print("map types:")
        for (type, result) in report.mapTypes { print("  \(type.description.padding(24))\(result.rawValue)") }
        print("features:")
        for (name, supported) in report.features { print("  \(name.padding(32))\(supported ? "yes" : "no")") }
    }
}
