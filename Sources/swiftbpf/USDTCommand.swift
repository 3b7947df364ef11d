import BPF
import BPFObject
import ELF64

/// `swiftbpf usdt list BINARY [--json]`.
enum USDTCommand {
    static let help = """
        usage: swiftbpf usdt list BINARY [--json]

        list prints the USDT probes of an executable or shared library (its
        .note.stapsdt notes) as `readelf -n` shows them — provider, name, location,
        base, semaphore, arguments — followed by where a uprobe goes (the file
        offsets of the probe and of its semaphore) and the arguments as libbpf's
        usdt.bpf.h reads them. A probe compiled into several places is listed once
        per site. Attach a program to one with Attach.usdt (a program built with
        libbpf's usdt.bpf.h).

        example:
          swiftbpf usdt list TestData/usdt/usdt_target
        """

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: [], flags: ["help", "json"], help: help)
        if args.flag("help") { print(help); return }
        guard args.positionals.count == 2, args.positionals[0] == "list" else {
            throw UsageError(message: "expected 'list BINARY'", help: help)
        }
        let path = args.positionals[1]
        let file = try ELFFile(ByteStorage(contentsOfFile: path))
        let segments = try USDTSite.loadableSegments(of: file)
        // Each site resolved on its own: one bad site does not hide the others.
        let entries = try file.sdtNotes().map { note in
            (
                note: note,
                site: Result { () throws(AttachError) in
                    try USDTSite.site(of: note, segments: segments, machine: file.header.machine)
                }
            )
        }
        if args.flag("json") {
            print(
                JSON.array(
                    entries.map { entry in
                        var fields: [(String, JSON)] = [
                            ("provider", .string(entry.note.provider)), ("name", .string(entry.note.name)),
                            ("location", .uint(entry.note.address)), ("base", .uint(entry.note.base)),
                            ("semaphore", .uint(entry.note.semaphore)), ("arguments", .string(entry.note.arguments)),
                        ]
                        switch entry.site {
                        case let .success(site):
                            fields += [
                                ("offset", .uint(site.offset)), ("semaphore_offset", .uint(site.semaphoreOffset)),
                                ("spec", .array(site.spec.arguments.map { .string(describe($0)) })),
                            ]
                        case let .failure(error):
                            fields.append(("error", .string("\(error)")))
                        }
                        return .object(fields)
                    }
                ).rendered())
            return
        }
        for entry in entries {
            let note = entry.note
            print("Provider: \(note.provider)")
            print("Name: \(note.name)")
            print("Location: \(hex(note.address)), Base: \(hex(note.base)), Semaphore: \(hex(note.semaphore))")
            print("Arguments: \(note.arguments)")
            switch entry.site {
            case let .success(site):
                let semaphore =
                    site.semaphoreOffset == 0 ? "" : ", semaphore at 0x\(String(site.semaphoreOffset, radix: 16))"
                print("Uprobe: offset 0x\(String(site.offset, radix: 16))\(semaphore)")
                if !site.spec.arguments.isEmpty {
                    print("Spec: " + site.spec.arguments.map(describe).joined(separator: ", "))
                }
            case let .failure(error):
                print("Unusable: \(error)")
            }
        }
    }

    /// An argument as C-like text: `s32 %rdi`, `u64 *(%rbp - 24)`, `s32 42` (registers by pt_regs offset on arm64).
    static func describe(_ argument: USDTArgument) -> String {
        let type = (argument.isSigned ? "s" : "u") + String(argument.size * 8)
        func register(_ offset: Int16) -> String {
            x86Names[offset].map { "%" + $0 } ?? "pt_regs+\(offset)"
        }
        switch argument.location {
        case let .constant(value): return "\(type) \(value)"
        case let .register(offset): return "\(type) \(register(offset))"
        case let .memory(base, displacement):
            return "\(type) *(\(register(base))\(signed(displacement)))"
        case let .scaledIndex(base, index, scale, displacement):
            return "\(type) *(\(register(base)) + \(register(index)) * \(scale)\(signed(displacement)))"
        }
    }

    /// ` + n`, ` - n`, or nothing for 0.
    static func signed(_ value: Int64) -> String {
        value < 0 ? " - \(value.magnitude)" : value > 0 ? " + \(value)" : ""
    }

    /// x86-64 `pt_regs` offsets' 64-bit register names.
    static let x86Names: [Int16: String] = [
        0: "r15", 8: "r14", 16: "r13", 24: "r12", 32: "rbp", 40: "rbx", 48: "r11", 56: "r10", 64: "r9", 72: "r8",
        80: "rax", 88: "rcx", 96: "rdx", 104: "rsi", 112: "rdi", 128: "rip", 152: "rsp",
    ]

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }
}
