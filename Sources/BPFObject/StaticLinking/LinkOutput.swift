import BTF
import ELF64

extension BPFLinker {
    /// The linked file: `.strtab` (section and symbol names), `.symtab` (locals first, as ELF asks),
    /// the merged sections in the order they first appeared, then `.BTF` and `.BTF.ext`.
    mutating func output() throws(LinkError) -> [UInt8] {
        let (btf, ext) = try finalBTF()
        let real = sections.indices.filter { !sections[$0].isEphemeral }.sorted {
            sections[$0].order < sections[$1].order
        }
        let count = 3 + real.count + (btf == nil ? 0 : 1) + (ext == nil ? 0 : 1)
        guard count < Int(SpecialSectionIndex.loReserve) else { throw LinkError(input: nil, .tooManySections(count)) }
        var elfIndex = [Int](filling: sections.count, with: 0)
        for (position, id) in real.enumerated() { elfIndex[id] = 3 + position }

        var names = StringTableBuilder()
        names.reserve(
            strings: symbols.count + real.count + 4,
            bytes: symbols.reduce(32) { $0 + $1.name.count } + real.reduce(0) { $0 + sections[$1].nameBytes.count })
        let order =
            [0] + symbols.indices.dropFirst().filter { symbols[$0].binding == .local }
            + symbols.indices.dropFirst().filter { symbols[$0].binding != .local }
        let localCount = 1 + symbols.dropFirst().filter { $0.binding == .local }.count
        var newIndex = [Int](filling: symbols.count, with: 0)
        for (new, old) in order.enumerated() { newIndex[old] = new }
        var table = IntegerWriter(order: byteOrder)
        table.bytes.reserveCapacity(symbols.count * Symbol.entrySize)
        for old in order {
            let symbol = symbols[old]
            table.put(old == 0 ? 0 : names.offset(of: symbol.name))
            table.put(symbol.binding.rawValue << 4 | symbol.type.rawValue)
            table.put(symbol.visibility.rawValue)
            switch symbol.place {
            case .undefined: table.put(UInt16(0))
            case let .section(id): table.put(UInt16(elfIndex[id]))
            case let .reserved(raw): table.put(raw)
            }
            table.put(symbol.value)
            table.put(symbol.size)
        }

        var writer = ELFWriter(byteOrder: byteOrder, type: .relocatable, machine: .bpf)
        writer.sectionNameTableIndex = 1
        writer.sections.append(
            ELFWriter.Entry(
                nameOffset: names.offset(of: ".strtab"), type: .strtab, flags: .strings, alignment: 1, data: []))
        writer.sections.append(
            ELFWriter.Entry(
                nameOffset: names.offset(of: ".symtab"), type: .symtab, link: 1, info: UInt32(localCount),
                alignment: 8, entrySize: UInt64(Symbol.entrySize), data: table.bytes))
        for id in real {
            let section = sections[id]
            var entry = ELFWriter.Entry(
                nameOffset: names.offset(of: section.nameBytes), type: section.type, flags: section.flags,
                alignment: section.alignment, entrySize: section.entrySize, data: section.data, size: section.size)
            if section.type == .rel {
                var relocations = IntegerWriter(order: byteOrder)
                relocations.bytes.reserveCapacity(16 * section.relocations.count)
                for relocation in section.relocations {
                    relocations.put(relocation.offset)
                    relocations.put(UInt64(newIndex[relocation.symbol]) << 32 | UInt64(relocation.type))
                }
                entry.data = relocations.bytes
                entry.size = UInt64(relocations.bytes.count)
                entry.link = 2
                entry.info = UInt32(elfIndex[section.relocatedSection])
            }
            writer.sections.append(entry)
        }
        if let btf {
            writer.sections.append(
                ELFWriter.Entry(nameOffset: names.offset(of: ".BTF"), type: .progbits, alignment: 8, data: btf))
        }
        if let ext {
            writer.sections.append(
                ELFWriter.Entry(nameOffset: names.offset(of: ".BTF.ext"), type: .progbits, alignment: 8, data: ext))
        }
        writer.sections[0].data = names.bytes
        writer.sections[0].size = UInt64(names.bytes.count)
        return writer.encode()
    }

    /// The merged BTF with one DATASEC per section that had one, deduplicated, and the `.BTF.ext`
    /// records renumbered to it (libbpf's `finalize_btf`); `nil`s without BTF or records.
    private mutating func finalBTF() throws(LinkError) -> (btf: [UInt8]?, ext: [UInt8]?) {
        guard types.count > 1 else { return (nil, nil) }
        var all = types
        types = DedupTypes()  // the table is handed over whole: no copy for the DATASECs appended
        for section in sections where section.hasBTF {
            let id = all.appendDataSection(
                named: section.nameBytes, size: UInt32(section.size), variables: section.variables)
            guard id != nil else {
                throw LinkError(input: nil, .tooManyVariables(section: section.name, count: section.variables.count))
            }
        }
        let deduplicated: DeduplicatedBTF
        do {
            deduplicated = try BTF.deduplicating(all)
        } catch {
            throw LinkError(input: nil, .btf(error))
        }
        let newID = deduplicated.typeMaps[0]
        func renumbered(_ id: TypeID) -> TypeID { id == 0 ? 0 : newID[Int(id) - 1] }

        var strings = extStrings
        var functions = IntegerWriter(order: byteOrder), lines = IntegerWriter(order: byteOrder)
        var relocations = IntegerWriter(order: byteOrder)
        let (functionCount, lineCount, relocationCount) = sections.reduce((0, 0, 0)) {
            ($0.0 + $1.functionInfo.count, $0.1 + $1.lineInfo.count, $0.2 + $1.coreRelocations.count)
        }
        functions.bytes.reserveCapacity(4 + 8 * sections.count + 8 * functionCount)
        lines.bytes.reserveCapacity(4 + 8 * sections.count + 16 * lineCount)
        relocations.bytes.reserveCapacity(4 + 8 * sections.count + 16 * relocationCount)
        functions.put(UInt32(FunctionInfo.minimumSize))
        lines.put(UInt32(LineInfo.minimumSize))
        relocations.put(UInt32(CORERelocation.minimumSize))
        for section in sections {
            if !section.functionInfo.isEmpty {
                functions.put(strings.offset(of: section.nameBytes))
                functions.put(UInt32(section.functionInfo.count))
                for record in section.functionInfo {
                    functions.put(record.instruction)
                    functions.put(renumbered(record.type))
                }
            }
            if !section.lineInfo.isEmpty {
                lines.put(strings.offset(of: section.nameBytes))
                lines.put(UInt32(section.lineInfo.count))
                for record in section.lineInfo {
                    lines.put(record.instruction)
                    lines.put(record.file)
                    lines.put(record.line)
                    lines.put(record.lineColumn)
                }
            }
            if !section.coreRelocations.isEmpty {
                relocations.put(strings.offset(of: section.nameBytes))
                relocations.put(UInt32(section.coreRelocations.count))
                for record in section.coreRelocations {
                    relocations.put(record.instruction)
                    relocations.put(renumbered(record.type))
                    relocations.put(record.access)
                    relocations.put(record.kind)
                }
            }
        }
        let btf = deduplicated.encode(byteOrder: byteOrder, strings: strings)
        // A part with no section is left out whole, its record-size word included.
        let parts = [functions.bytes, lines.bytes, relocations.bytes].map { $0.count > 4 ? $0 : [] }
        guard parts.contains(where: { !$0.isEmpty }) else { return (btf, nil) }
        var ext = IntegerWriter(order: byteOrder)
        ext.put(UInt16(0xeb9f))
        ext.put(UInt8(1))  // version
        ext.put(UInt8(0))  // flags
        ext.put(UInt32(32))  // header length
        var offset: UInt32 = 0
        for part in parts {
            ext.put(offset)
            ext.put(UInt32(part.count))
            offset += UInt32(part.count)
        }
        for part in parts { ext.bytes += part }
        return (btf, ext.bytes)
    }
}
