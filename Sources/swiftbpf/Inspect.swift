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
        // Every ELF file gets the ELF view; a BPF object's spec follows it, or, when the object is
        // not a loadable spec, the reason does (on standard error, and in the exit status).
        let base = path.split(separator: "/").last.map(String.init) ?? path
        var spec: Result<ObjectSpec, ObjectError>?
        if file.header.machine == .bpf || file.header.machine == .none {
            do throws(ObjectError) {
                spec = .success(try ObjectSpec(elf: file, name: String(base.prefix { $0 != "." })))
            } catch {
                spec = .failure(error)
            }
        }
        var problems: [ELFError] = []
        if args.flag("json") {
            var object = try json(file, path: path, problems: &problems)
            if case var .object(fields) = object {
                switch spec {
                case let .success(spec): fields.append(("bpf", ObjectListing(spec: spec).json))
                case let .failure(error): fields.append(("bpfError", .string(error.description)))
                case nil: break
                }
                object = .object(fields)
            }
            print(object.rendered())
        } else {
            var out = BufferedStandardOutput()
            out.write(headerText(file))
            problems = ReadelfListing(file: file).render(to: &out)
            if case let .success(spec) = spec { out.write(ObjectListing(spec: spec).text) }
            out.flush()
        }
        var failures = problems.map { "not listed: \($0)" }
        if case let .failure(error) = spec { failures.append("not a loadable BPF object: \(error)") }
        if !failures.isEmpty { throw CommandFailure(description: failures.joined(separator: "\n")) }
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

    /// The JSON view; refused when it would hold names of more than 64 times the file's size (a
    /// name is repeated per symbol, and the whole document is built before it is printed).
    static func json(_ file: ELFFile, path: String, problems: inout [ELFError]) throws(CommandFailure) -> JSON {
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
        var symbolTable: SymbolTable?
        do { symbolTable = try file.symbolTable() } catch { problems.append(error) }
        if let table = symbolTable {
            let budget = 64 * file.bytes.count + 65_536
            guard table.reduce(0, { $0 + $1.name.count }) <= budget else {
                throw CommandFailure(
                    description:
                        "the JSON listing's symbol names would exceed \(budget) bytes (64 times the file): use the text listing"
                )
            }
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
            let table: RelocationTable
            do { table = try file.relocations(in: section) } catch {
                problems.append(error)
                continue
            }
            let entries = table.map { r in
                JSON.object([
                    ("offset", .uint(r.offset)), ("type", .uint(UInt64(r.type))),
                    ("symbol", .uint(UInt64(r.symbolIndex))), ("addend", .int(r.addend)),
                ])
            }
            relocationSections.append(
                .object([
                    ("name", .string(String(section.name))), ("index", .uint(UInt64(section.index))),
                    ("target", .uint(UInt64(table.targetSectionIndex))),
                    ("symbolTable", .uint(UInt64(table.symbolTableIndex))),
                    ("count", .uint(UInt64(table.count))), ("relocations", .array(entries)),
                ]))
        }
        return .object([
            ("file", .string(path)), ("header", header), ("sections", .array(sections)),
            ("symbols", .array(symbols)), ("relocationSections", .array(relocationSections)),
        ])
    }
}
