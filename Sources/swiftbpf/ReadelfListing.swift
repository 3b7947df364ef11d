import ELF64

/// The sections, relocations and symbols of a file in the text layout of
/// `llvm-readelf -S -r -s --wide`, so the two can be compared line for line.
struct ReadelfListing {
    let file: ELFFile

    /// Writes the listing to `out` as it goes (a file's names may be repeated in thousands of lines:
    /// nothing is held beyond one line) and returns what could not be listed (a relocation section or
    /// symbol table that does not read): the rest is still listed, as llvm-readelf warns and goes on.
    func render<Out: TextOutputStream>(to out: inout Out) -> [ELFError] {
        var problems: [ELFError] = []
        sectionHeaders(to: &out)
        relocations(to: &out, problems: &problems)
        do { try symbols(to: &out, problems: &problems) } catch {
            if !problems.contains(where: { $0.field == error.field }) { problems.append(error) }
            out.write("\nThe symbol table cannot be listed: \(error)\n")
        }
        return problems
    }

    private func sectionHeaders<Out: TextOutputStream>(to out: inout Out) {
        let h = file.header
        out.write(
            "There are \(h.sectionCount) section headers, starting at offset 0x\(String(h.sectionHeaderOffset, radix: 16)):\n\n"
        )
        out.write("Section Headers:\n")
        out.write("  [Nr] Name              Type            Address          Off    Size   ES Flg Lk Inf Al\n")
        for s in file.sections {
            var line = ColumnLine()
            line.put("[\(String(s.index).leftPadding(2))]", at: 2)
            line.put(String(s.name), at: 7)
            line.put(s.type.description, at: 25)
            line.put(hex(s.address, digits: 16), at: 41)
            line.put(hex(s.offset, digits: 6), at: 58)
            line.put(hex(s.size, digits: 6), at: 65)
            line.put(hex(s.entrySize, digits: 2), at: 72)
            line.put(s.flags.description.leftPadding(3), at: 75)
            line.put(String(s.link).leftPadding(2), at: 79)
            line.put(String(s.info).leftPadding(3), at: 82)
            line.put(String(s.alignment).leftPadding(2), at: 86)
            out.write(line.text + "\n")
        }
        out.write(
            """
            Key to Flags:
              W (write), A (alloc), X (execute), M (merge), S (strings), I (info),
              L (link order), O (extra OS processing required), G (group), T (TLS),
              C (compressed), x (unknown), o (OS specific), E (exclude),
              R (retain),\(h.machine == .x86_64 ? " l (large)," : "") p (processor specific)

            """)
    }

    private func relocations<Out: TextOutputStream>(to out: inout Out, problems: inout [ELFError]) {
        let sections = file.relocationSections
        guard !sections.isEmpty else { return out.write("\nThere are no relocations in this file.\n") }
        var symbolTables: [Int: Result<SymbolTable, ELFError>] = [:]  // each validated (or refused) once
        for section in sections {
            let table: RelocationTable
            do { table = try file.relocations(in: section) } catch {
                problems.append(error)
                out.write(
                    "\nRelocation section '\(section.name)' at offset 0x\(String(section.offset, radix: 16)) cannot be listed: \(error)\n"
                )
                continue
            }
            let index = table.symbolTableIndex
            if symbolTables[index] == nil {
                let read = Result { () throws(ELFError) in try file.unvalidatedSymbols(in: file.sections[index]) }
                symbolTables[index] = read
                if case let .failure(error) = read { problems.append(error) }  // told once per table
            }
            guard case let .success(symbols)? = symbolTables[index] else {
                out.write(
                    "\nRelocation section '\(section.name)' at offset 0x\(String(section.offset, radix: 16)) cannot be listed: its symbol table cannot\n"
                )
                continue
            }
            out.write(
                "\nRelocation section '\(section.name)' at offset 0x\(String(section.offset, radix: 16)) contains \(table.count) entries:\n"
            )
            out.write("    Offset             Info             Type               Symbol's Value  Symbol's Name")
            out.write(table.hasAddends ? " + Addend\n" : "\n")
            for r in table {
                var line = ColumnLine()
                line.put(hex(r.offset, digits: 16), at: 0)
                line.put(hex(UInt64(r.symbolIndex) << 32 | UInt64(r.type), digits: 16), at: 18)
                line.put(relocationTypeName(r.type), at: 35)
                var name = ""
                if r.symbolIndex != 0 {
                    let symbol = symbols[r.symbolIndex]
                    name = displayName(symbol)
                    line.put(hex(symbol.value, digits: 16), at: 58)
                    line.put(name, at: 75)
                }
                if table.hasAddends {
                    let magnitude = r.addend.magnitude
                    let sign = name.isEmpty ? "" : (r.addend < 0 ? " - " : " + ")
                    line.append(sign + String(magnitude, radix: 16))
                }
                out.write(line.text + "\n")
            }
        }
    }

    private func symbols<Out: TextOutputStream>(to out: inout Out, problems: inout [ELFError]) throws(ELFError) {
        guard let section = file.firstSection(ofType: .symtab) else { return }
        let table = try file.unvalidatedSymbols(in: section)
        out.write("\nSymbol table '\(table.section.name)' contains \(table.count) entries:\n")
        out.write("   Num:    Value          Size Type    Bind   Vis       Ndx Name\n")
        for s in table {
            var line = ColumnLine()
            line.put(String(s.index).leftPadding(6) + ":", at: 0)
            line.put(hex(s.value, digits: 16), at: 8)
            line.put(String(s.size).leftPadding(5), at: 25)
            line.put(s.type.description, at: 31)
            line.put(s.binding.description, at: 39)
            line.put(s.visibility.description, at: 46)
            line.put(s.section.description.leftPadding(3), at: 56)
            if s.nameOffset != 0, Int(s.nameOffset) >= table.strings.data.count {
                // llvm-readelf warns and shows <corrupt>; so do we.
                problems.append(
                    ELFError(
                        .stringOffsetOutOfRange(UInt64(s.nameOffset), tableSize: table.strings.data.count),
                        field: "symbol \(s.index) st_name", offset: Int(section.offset) + s.index * Symbol.entrySize))
                line.put("<corrupt>", at: 59)
            } else {
                line.put(displayName(s), at: 59)
            }
            out.write(line.text + "\n")
        }
    }

    /// A section symbol without a name shows its section's name, as readelf does.
    private func displayName(_ symbol: Symbol) -> String {
        if symbol.type == .section, symbol.name.isEmpty, let index = symbol.section.sectionIndex,
            index < file.sections.count
        {
            return String(file.sections[index].name)
        }
        return String(symbol.name)
    }

    /// readelf names relocation types only for machines it knows; so do we (EM_BPF).
    private func relocationTypeName(_ type: UInt32) -> String {
        file.header.machine == .bpf ? BPFRelocationType(rawValue: type).description : "Unknown"
    }
}
