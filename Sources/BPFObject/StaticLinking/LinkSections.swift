import BTF
import ELF64

extension BPFLinker {
    /// Appends each data and code section of input `k` to the output section of its name (made on
    /// first sight) at its alignment; a repeated `license` or `version` must be identical and is kept once.
    mutating func appendSectionData(of k: Int) throws(LinkError) {
        for position in inputs[k].sections.indices where inputs[k].sections[position].isData {
            let source = inputs[k].sections[position]
            let name = source.name
            let output: Int
            if let found = sectionByName[name] {
                output = found
                try checkCompatible(sections[output], source, input: k)
                if name.matches("license") || name.matches("version"), let elf = source.elf {
                    guard sections[output].size == elf.size, sections[output].data.elementsEqual(elf.data) else {
                        throw fail(k, .differentContents(section: String(name)))
                    }
                    inputs[k].sections[position].isSkipped = true
                    inputs[k].sections[position].output = output
                    continue
                }
            } else {
                output = sections.count
                sections.append(OutputSection(name: source.name))
                sectionByName.insert(name, output)
            }
            inputs[k].sections[position].output = output
            inputs[k].sections[position].outputOffset = try extend(output, with: source, input: k)
        }
    }

    /// Sections of one name must agree in type, flags and entry size (ephemeral ones agree with all).
    private func checkCompatible(_ output: OutputSection, _ source: InputSection, input k: Int) throws(LinkError) {
        guard !output.isEphemeral, let elf = source.elf else { return }
        let field =
            output.type != elf.type
            ? "type" : output.flags != elf.flags ? "flags" : output.entrySize != elf.entrySize ? "entry size" : nil
        if let field { throw fail(k, .incompatibleSections(output.name, field: field)) }
    }

    /// Appends `source`'s bytes to output section `output`, padded to the larger alignment of the
    /// two; returns where they start. An ephemeral source adds nothing; the first real one makes
    /// the output section real.
    private mutating func extend(_ output: Int, with source: InputSection, input k: Int) throws(LinkError) -> UInt64 {
        guard let elf = source.elf else { return 0 }
        if sections[output].isEphemeral {
            sections[output].isEphemeral = false
            sections[output].type = elf.type
            sections[output].flags = elf.flags
            sections[output].entrySize = elf.entrySize
            sections[output].alignment = max(elf.alignment, 1)
            sections[output].order = realSectionCount
            realSectionCount += 1
        }
        let alignment = max(sections[output].alignment, elf.alignment, 1)  // powers of two up to 4096: checked
        let start = (sections[output].size + alignment - 1) / alignment * alignment
        let (end, overflow) = start.addingReportingOverflow(elf.size)
        guard !overflow, end <= UInt64(UInt32.max) else { throw fail(k, .sectionTooLarge(sections[output].name)) }
        if elf.type != .nobits && elf.type != .rel {
            sections[output].data.reserve(additional: Int(end) - sections[output].data.count)
            sections[output].data += repeatElement(0, count: Int(start) - sections[output].data.count)
            sections[output].data += elf.data
        }
        sections[output].size = end
        sections[output].alignment = alignment
        return start
    }

    /// Merges the symbols of input `k` (libbpf's `linker_append_elf_sym`): locals are added, one
    /// section symbol per output section; globals are found by name, a strong definition replacing
    /// externs and weak ones, externs and weak definitions joining what is there.
    mutating func appendSymbols(of k: Int) throws(LinkError) {
        let symbolTable = inputs[k].symbols
        let input = inputs[k]  // its lookups, read per symbol without copying the input each time
        for symbol in symbolTable.dropFirst() {
            var sourcePosition: Int?
            var output: Int?
            let isExtern = symbol.section == .undefined
            if case let .index(index) = symbol.section {
                let source = inputs[k].sections[index]
                if source.isSkipped { continue }
                guard source.isData else {
                    throw fail(k, .invalidSymbol(index: symbol.index, .inUnlinkableSection(String(source.name))))
                }
                sourcePosition = index
                output = source.output
                if symbol.type == .section, sections[source.output].sectionSymbol != 0 {
                    inputs[k].symbolMap[symbol.index] = sections[source.output].sectionSymbol
                    continue
                }
            }
            let name = symbol.name
            guard symbol.binding != .local else {
                inputs[k].symbolMap[symbol.index] = addSymbol(symbol, named: name, input: k, at: sourcePosition)
                continue
            }
            let (btfSection, btfType) = try input.globalBTF(named: symbol.name)
            if isExtern, btfSection != 0, let btf = inputs[k].btf {
                let sectionName = try LinkInput.reading(inputs[k].name) { () throws(BTFError) in
                    try btf.name(of: btfSection)
                }
                if !sectionName.matches(".extern"), let position = inputs[k].section(named: sectionName) {
                    sourcePosition = position
                    output = inputs[k].sections[position].output
                }
            }
            if let g = globalByName[name] {
                try merge(symbol, named: name, into: g, input: k, at: sourcePosition, output: output, type: btfType)
                continue
            }
            let index = addSymbol(symbol, named: name, input: k, at: sourcePosition)
            inputs[k].symbolMap[symbol.index] = index
            globalByName.insert(name, globals.count)
            globals.append(
                GlobalSymbol(
                    symbol: index, section: output, declaration: (k, btfType), isExtern: isExtern,
                    isWeak: symbol.binding == .weak))
        }
    }

    /// Adds `symbol` of input `k` to the output, its value rebased to where its section went.
    private mutating func addSymbol(_ symbol: Symbol, named name: ByteString, input k: Int, at position: Int?) -> Int {
        var place: SymbolPlace
        switch symbol.section {
        case .undefined: place = .undefined
        case .absolute: place = .reserved(SpecialSectionIndex.absolute)
        case .common: place = .reserved(SpecialSectionIndex.common)
        case let .reserved(raw): place = .reserved(raw)
        case .index: place = .undefined
        }
        var value = symbol.value
        if let position {
            let source = inputs[k].sections[position]
            if !sections[source.output].isEphemeral { place = .section(source.output) }
            value += source.outputOffset  // both below 4 GiB
        }
        var added = OutputSymbol(
            name: name, binding: symbol.binding, type: symbol.type, visibility: symbol.visibility, place: place,
            value: value, size: symbol.size)
        let index = symbols.count
        if symbol.type == .section, let position {
            sections[inputs[k].sections[position].output].sectionSymbol = index
            added.value = 0
        }
        symbols.append(added)
        return index
    }

    /// Joins a global or extern of input `k` to the global `g` of its name.
    private mutating func merge(
        _ symbol: Symbol, named name: ByteString, into g: Int, input k: Int, at position: Int?, output: Int?,
        type btfType: TypeID
    ) throws(LinkError) {
        let isExtern = symbol.section == .undefined
        let target = globals[g].symbol
        inputs[k].symbolMap[symbol.index] = target
        if !isExtern, !globals[g].isExtern, !globals[g].isWeak, symbol.binding != .weak {
            throw fail(
                k, .conflictingDefinitions(symbol: String(name), firstInput: inputs[globals[g].declaration.input].name))
        }
        try checkDeclarationsMatch(name, global: g, input: k, type: btfType)
        if symbol.binding == .global {
            symbols[target].binding = .global
            globals[g].isWeak = false
        }
        // Stricter visibility wins, even from an extern.
        if symbol.visibility.rawValue > symbols[target].visibility.rawValue {
            symbols[target].visibility = symbol.visibility
        }
        if isExtern || (!globals[g].isExtern && symbol.binding == .weak) { return }
        // A definition in another section than the one the global was declared or defined in
        // (an extern `SEC(".data.b")` defined in `.data.a`) cannot keep its DATASEC entry.
        if let declared = globals[g].section, let output, declared != output {
            throw fail(
                k,
                .sectionMismatch(
                    symbol: String(name), section: sections[output].name, expected: sections[declared].name)
            )
        }
        // A strong definition: it replaces what was there, binding and visibility kept.
        symbols[target].type = symbol.type
        symbols[target].size = symbol.size
        if let position {
            let source = inputs[k].sections[position]
            symbols[target].place = sections[source.output].isEphemeral ? .undefined : .section(source.output)
            symbols[target].value = source.outputOffset + symbol.value
        } else {
            symbols[target].place = .undefined
            symbols[target].value = symbol.value
        }
        globals[g].section = output
        globals[g].isExtern = false
        try completeExternBTF(global: g, input: k, type: btfType)
        globals[g].underlying = .wanted
    }

    /// Appends the relocation sections of input `k`: offsets rebased into the merged section,
    /// symbols renumbered; a call or load through a section symbol has its immediate moved by
    /// where that section's code went (two inputs' static functions share no symbol).
    mutating func appendRelocations(of k: Int) throws(LinkError) {
        for position in inputs[k].sections.indices where inputs[k].sections[position].isRelocation {
            let source = inputs[k].sections[position]
            guard let elf = source.elf else { continue }
            let target = inputs[k].sections[Int(elf.info)]  // checked on reading
            if target.isSkipped { continue }
            let name = source.name
            let output: Int
            if let found = sectionByName[name] {
                output = found
                try checkCompatible(sections[output], source, input: k)
            } else {
                output = sections.count
                sections.append(OutputSection(name: source.name))
                sectionByName.insert(name, output)
            }
            inputs[k].sections[position].output = output
            _ = try extend(output, with: source, input: k)
            sections[output].relocatedSection = target.output
            // Checked on reading.
            guard position < inputs[k].relocationTables.count, let table = inputs[k].relocationTables[position] else {
                continue
            }
            let isCode = target.elf.map(LinkInput.isCode) ?? false
            for (index, relocation) in table.enumerated() {
                let mapped = inputs[k].symbolMap[relocation.symbolIndex]
                guard mapped != 0 else {
                    throw fail(
                        k,
                        .invalidRelocation(section: String(name), index: index, .droppedSymbol(relocation.symbolIndex)))
                }
                let offset = relocation.offset + target.outputOffset
                let symbol = inputs[k].symbols[relocation.symbolIndex]
                if symbol.type == .section, let symbolSection = symbol.section.sectionIndex {
                    guard isCode else {
                        throw fail(k, .invalidRelocation(section: String(name), index: index, .sectionSymbolInData))
                    }
                    moveImmediate(
                        in: target.output, at: Int(offset), by: inputs[k].sections[symbolSection].outputOffset)
                }
                sections[output].relocations.append((offset, mapped, relocation.type))
            }
        }
    }

    /// Adds `shift` bytes (for a call, `shift / 8` instructions) to the immediate of the instruction at
    /// byte `offset` of output section `section` (inside it: relocation offsets are checked on reading).
    private mutating func moveImmediate(in section: Int, at offset: Int, by shift: UInt64) {
        let isCall = sections[section].data[offset] == 0x85  // BPF_JMP | BPF_CALL
        let delta = UInt32(truncatingIfNeeded: isCall ? shift / 8 : shift)
        var immediate: UInt32 = 0
        for i in 0..<4 {
            let byte = UInt32(sections[section].data[offset + 4 + i])
            immediate |= byteOrder == .little ? byte << (8 * i) : byte << (8 * (3 - i))
        }
        immediate &+= delta
        for i in 0..<4 {
            let shiftBits = byteOrder == .little ? 8 * i : 8 * (3 - i)
            sections[section].data[offset + 4 + i] = UInt8(truncatingIfNeeded: immediate >> shiftBits)
        }
    }
}
