import BPFObject

/// `swiftbpf disasm FILE [--program NAME] [--relocated]`.
enum DisasmCommand {
    static let help = """
        usage: swiftbpf disasm FILE [--program NAME] [--relocated]

        Prints each program's instructions in the kernel verifier's syntax. By
        default, as the object stores them (relocations not applied); with
        --relocated, as the loader hands them to the kernel but for descriptors:
        entry programs followed by the subprograms they reach, calls resolved,
        map loads naming their map.

        examples:
          swiftbpf disasm TestData/obj/multi.bpfel.o --program count_packets
          swiftbpf disasm TestData/obj/maps.bpfel.o --relocated
        """

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: ["program"], flags: ["help", "relocated"], help: help)
        if args.flag("help") { print(help); return }
        guard args.positionals.count == 1 else { throw UsageError(message: "expected one FILE", help: help) }
        let spec = try ObjectSpec(contentsOfFile: args.positionals[0])
        let wanted = args.option("program")
        if let wanted, spec.program(named: wanted) == nil {
            throw UsageError(
                message:
                    "no program named '\(wanted)' (programs: \(spec.programs.map(\.name).joined(separator: ", ")))",
                help: help)
        }
        let relocated = args.flag("relocated")
        // Each subprogram's relocated copy is listed under the first program that appends it; later
        // programs name it (every program gets a copy: listing them all grew as programs × subprograms).
        var listedUnder: [Int: String] = [:]
        for (index, program) in spec.programs.enumerated() where wanted == nil || program.name == wanted {
            if relocated && program.isSubprogram && wanted == nil { continue }
            print("\(program.name) (section \(program.sectionName)\(program.isSubprogram ? ", subprogram" : "")):")
            if relocated {
                let linked = try Linker.link(spec, programAt: index)
                let maps = Dictionary(
                    linked.mapLoads.map { ($0.instruction, spec.maps[$0.map].name) }, uniquingKeysWith: { a, _ in a })
                let names = Disassembler { index, insn in
                    guard let map = maps[index] else { return nil }
                    return insn.source == PseudoSource.mapValue
                        ? "map[\(map)]+\(linked.instructions[index + 1].immediate)" : "map[\(map)]"
                }
                let ends = linked.placements.map(\.start) + [linked.instructions.count]
                for line in names.lines(linked.instructions, in: 0..<ends[0]) { print("  " + line) }
                var appended: [String] = []
                for (i, placement) in linked.placements.enumerated() {
                    let name = linked.subprograms[i]
                    if let first = listedUnder[placement.program] {
                        appended.append("\(name) (listed under \(first))")
                        continue
                    }
                    listedUnder[placement.program] = program.name
                    appended.append(name)
                    for line in names.lines(linked.instructions, in: placement.start..<ends[i + 1]) {
                        print("  " + line)
                    }
                }
                if !appended.isEmpty { print("  ; subprograms appended: \(appended.joined(separator: ", "))") }
            } else {
                for line in Disassembler().lines(program.instructions) { print("  " + line) }
            }
            print("")
        }
    }
}
