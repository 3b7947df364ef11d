import BPFObject
import ELF64

/// `swiftbpf inspect FILE [--json]`: what an object file holds.
enum Inspect {
    static let help = """
        usage: swiftbpf inspect FILE [--json]

        Shows an ELF object's header, sections, relocations and symbols (the text
        layout of `llvm-readelf -h -S -r -s --wide`), then, for BPF objects, its
        programs (section, type, attach type, instruction count), maps (type, sizes,
        flags, origin: BTF, legacy or global data), relocations per program and a
        BTF summary. --json prints one object:
          { "file", "header": {class, byteOrder, type, machine, sectionHeaderOffset,
            sectionCount, sectionNameTableIndex},
            "sections": [{index, name, type, flags, address, offset, size, link,
                          info, alignment, entrySize}],
            "symbols": [{index, name, value, size, type, binding, visibility, section}],
            "relocationSections": [{name, index, target, symbolTable, count,
                                    relocations: [{offset, type, symbol, addend}]}],
            "bpf": {name, license, kernelVersion, btfTypes,
                    programs: [{name, section, subprogram, type, attachType, instructions,
                                relocations: [{instruction, target}]}],
                    maps: [{name, type, keySize, valueSize, maxEntries, flags, origin}]} }

        examples:
          swiftbpf inspect TestData/obj/multi.bpfel.o
          swiftbpf inspect prog.o --json | jq '.sections[].name'
        """

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, flags: ["json", "help"], help: help)
        if args.flag("help") { print(help); return }
        guard args.positionals.count == 1, let path = args.positionals.first else {
            throw UsageError(message: args.positionals.isEmpty ? "missing FILE" : "expected one FILE", help: help)
        }
        let file = try ELFFile(ByteStorage(contentsOfFile: path))
        // Files that are ELF but not BPF objects still get the ELF view.
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let spec = file.header.machine == .bpf || file.header.machine == .none
            ? try ObjectSpec(elf: file, name: String(base.prefix { $0 != "." })) : nil
        if args.flag("json") {
            var object = try json(file, path: path)
            if case var .object(fields) = object, let spec {
                fields.append(("bpf", ObjectListing(spec: spec).json))
                object = .object(fields)
            }
            print(object.rendered())
        } else {
            print(headerText(file), terminator: "")
            print(try ReadelfListing(file: file).render(), terminator: "")
            if let spec { print(ObjectListing(spec: spec).text, terminator: "") }
        }
    }

    static func headerText(_ file: ELFFile) -> String {
        let h = file.header
        return """
            ELF Header:
              Class:                             ELF64
              Data:                              2's complement, \(h.byteOrder)
              Type:                              \(h.type)
              Machine:                           \(h.machine)
              Entry point address:               0x\(String(h.entry, radix: 16))
              Start of section headers:          \(h.sectionHeaderOffset) (bytes into file)
              Flags:                             0x\(String(h.flags, radix: 16))
              Number of section headers:         \(h.sectionCount)
              Section header string table index: \(h.sectionNameTableIndex)


            """
    }

    static func json(_ file: ELFFile, path: String) throws(ELFError) -> JSON {
        let h = file.header
        let header = JSON.object([
            ("class", .string("ELF64")),
            ("byteOrder", .string(h.byteOrder == .little ? "little" : "big")),
            ("type", .string(h.type.description)),
            ("machine", .string(h.machine.description)),
            ("sectionHeaderOffset", .uint(h.sectionHeaderOffset)),
            ("sectionCount", .uint(UInt64(h.sectionCount))),
            ("sectionNameTableIndex", .uint(UInt64(h.sectionNameTableIndex))),
        ])
        let sections = file.sections.map { s in
            JSON.object([
                ("index", .uint(UInt64(s.index))), ("name", .string(String(s.name))),
                ("type", .string(s.type.description)), ("flags", .string(s.flags.description)),
                ("address", .uint(s.address)), ("offset", .uint(s.offset)), ("size", .uint(s.size)),
                ("link", .uint(UInt64(s.link))), ("info", .uint(UInt64(s.info))),
                ("alignment", .uint(s.alignment)), ("entrySize", .uint(s.entrySize)),
            ])
        }
        var symbols: [JSON] = []
        if let table = try file.symbolTable() {
            symbols = table.map { s in
                JSON.object([
                    ("index", .uint(UInt64(s.index))), ("name", .string(String(s.name))),
                    ("value", .uint(s.value)), ("size", .uint(s.size)),
                    ("type", .string(s.type.description)), ("binding", .string(s.binding.description)),
                    ("visibility", .string(s.visibility.description)), ("section", .string(s.section.description)),
                ])
            }
        }
        var relocationSections: [JSON] = []
        for section in file.relocationSections {
            let table = try file.relocations(in: section)
            let entries = table.map { r in
                JSON.object([
                    ("offset", .uint(r.offset)), ("type", .uint(UInt64(r.type))),
                    ("symbol", .uint(UInt64(r.symbolIndex))), ("addend", .int(r.addend)),
                ])
            }
            relocationSections.append(.object([
                ("name", .string(String(section.name))), ("index", .uint(UInt64(section.index))),
                ("target", .uint(UInt64(table.targetSectionIndex))), ("symbolTable", .uint(UInt64(table.symbolTableIndex))),
                ("count", .uint(UInt64(table.count))), ("relocations", .array(entries)),
            ]))
        }
        return .object([
            ("file", .string(path)), ("header", header), ("sections", .array(sections)),
            ("symbols", .array(symbols)), ("relocationSections", .array(relocationSections)),
        ])
    }
}
