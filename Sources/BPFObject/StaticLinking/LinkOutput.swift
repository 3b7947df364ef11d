import BTF
import ELF64

extension BPFLinker {
    /// The linked file: `.strtab` (section and symbol names), `.symtab` (locals first, as ELF asks),
    /// the merged sections in the order they first appeared, then `.BTF` and `.BTF.ext`.
    mutating func output() throws(LinkError) -> [UInt8] {
        let (btf, ext) = try finalBTF()
        // The sections given an ELF section, by the order they were given one (0..<realSectionCount).
        var real = [Int](filling: realSectionCount, with: 0)
        for id in sections.indices where !sections[id].isEphemeral { real[sections[id].order] = id }
        let count = 3 + real.count + (btf == nil ? 0 : 1) + (ext == nil ? 0 : 1)
        guard count < Int(SpecialSectionIndex.loReserve) else { throw LinkError(input: nil, .tooManySections(count)) }
        var elfIndex = [Int](filling: sections.count, with: 0)
        for (position, id) in real.enumerated() { elfIndex[id] = 3 + position }

        var names = StringTableBuilder()
        names.reserve(
            strings: symbols.count + real.count + 4,
            bytes: symbols.reduce(32) { $0 + $1.name.count } + real.reduce(0) { $0 + sections[$1].nameBytes.count })
        var order = [0]  // the null symbol, the locals, then the others
        order.reserveCapacity(symbols.count)
        for index in symbols.indices.dropFirst() where symbols[index].binding == .local { order.append(index) }
        let localCount = order.count
        for index in symbols.indices.dropFirst() where symbols[index].binding != .local { order.append(index) }
        var newIndex = [Int](filling: symbols.count, with: 0)
        for (new, old) in order.enumerated() { newIndex[old] = new }
        var table: [UInt8] = []
        table.appendIntegers(count: symbols.count * Symbol.entrySize, order: byteOrder) { table in
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
        }

        var writer = ELFWriter(byteOrder: byteOrder, type: .relocatable, machine: .bpf)
        writer.sectionNameTableIndex = 1
        writer.sections.append(
            ELFWriter.Entry(
                nameOffset: names.offset(of: ".strtab"), type: .strtab, flags: .strings, alignment: 1, data: []))
        writer.sections.append(
            ELFWriter.Entry(
                nameOffset: names.offset(of: ".symtab"), type: .symtab, link: 1, info: UInt32(localCount),
                alignment: 8, entrySize: UInt64(Symbol.entrySize), data: table))
        for id in real {
            let section = sections[id]
            var entry = ELFWriter.Entry(
                nameOffset: names.offset(of: section.nameBytes), type: section.type, flags: section.flags,
                alignment: section.alignment, entrySize: section.entrySize, data: section.data, size: section.size)
            if section.type == .rel {
                var relocations: [UInt8] = []
                relocations.appendIntegers(count: 16 * section.relocations.count, order: byteOrder) { table in
                    for relocation in section.relocations {
                        table.put(relocation.offset)
                        table.put(UInt64(newIndex[relocation.symbol]) << 32 | UInt64(relocation.type))
                    }
                }
                entry.data = relocations
                entry.size = UInt64(relocations.count)
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
        // One string table for both: the records' strings, their sections' names (in the order
        // the records meet them), then the types' names.
        var strings = extStrings
        extStrings = StringTableBuilder()
        let nameOffsets = sections.map { section in
            section.functionInfo.isEmpty && section.lineInfo.isEmpty && section.coreRelocations.isEmpty
                ? 0 : strings.offset(of: section.nameBytes)
        }
        let deduplicated: DeduplicatedBTF
        do {
            deduplicated = try BTF.deduplicating(all, names: &strings)
        } catch {
            throw LinkError(input: nil, .btf(error))
        }
        let newID = deduplicated.typeMaps[0]
        func renumbered(_ id: TypeID) -> TypeID { id == 0 ? 0 : newID[Int(id) - 1] }

        /// One part: its record size, then each section's name, record count and records.
        func part(
            recordSize: Int, count: (OutputSection) -> Int, write: (inout IntegerStore, OutputSection) -> Void
        ) -> [UInt8] {
            let size = sections.reduce(0) { count($1) == 0 ? $0 : $0 + 8 + recordSize * count($1) }
            guard size > 0 else { return [] }  // a part with no section is left out whole
            var bytes: [UInt8] = []
            bytes.appendIntegers(count: 4 + size, order: byteOrder) { out in
                out.put(UInt32(recordSize))
                for (position, section) in sections.enumerated() where count(section) > 0 {
                    out.put(nameOffsets[position])
                    out.put(UInt32(count(section)))
                    write(&out, section)
                }
            }
            return bytes
        }
        let functions = part(recordSize: FunctionInfo.minimumSize, count: { $0.functionInfo.count }) { out, section in
            for record in section.functionInfo {
                out.put(record.instruction)
                out.put(renumbered(record.type))
            }
        }
        let lines = part(recordSize: LineInfo.minimumSize, count: { $0.lineInfo.count }) { out, section in
            for record in section.lineInfo {
                out.put(record.instruction)
                out.put(record.file)
                out.put(record.line)
                out.put(record.lineColumn)
            }
        }
        let relocations = part(recordSize: CORERelocation.minimumSize, count: { $0.coreRelocations.count }) {
            out, section in
            for record in section.coreRelocations {
                out.put(record.instruction)
                out.put(renumbered(record.type))
                out.put(record.access)
                out.put(record.kind)
            }
        }
        let btf = deduplicated.blob(byteOrder: byteOrder)
        let parts = [functions, lines, relocations]
        guard parts.contains(where: { !$0.isEmpty }) else { return (btf, nil) }
        var ext = IntegerWriter(order: byteOrder)
        ext.bytes.reserveCapacity(32 + parts.reduce(0) { $0 + $1.count })
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
