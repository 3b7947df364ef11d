import BTF
import ELF64

extension BPFLinker {
    /// Appends input `k`'s BTF types (libbpf's `linker_append_btf`): DATASECs are rebuilt at the
    /// end; a non-static VAR or FUNC of a global already described reuses that type (its underlying
    /// type taken from this input when the global asks for it); references are renumbered. The
    /// records are copied in place into the linker's flat table (no decoded type, no string copy).
    mutating func appendBTF(of k: Int) throws(LinkError) {
        guard let btf = inputs[k].btf else { return }
        let name = inputs[k].name
        // Each record's output id first (references may point forward), then the records.
        var map = [TypeID](filling: btf.ownTypeCount, with: 0)
        var kept: [Int] = []
        kept.reserveCapacity(btf.ownTypeCount)
        var next = TypeID(types.count)
        var pending: [Int] = []  // the globals whose underlying type this input gives
        pending.reserveCapacity(min(globals.count, btf.ownTypeCount))
        for i in 0..<btf.ownTypeCount {
            let id = btf.firstID + TypeID(i)
            let kind = try LinkInput.reading(name) { () throws(BTFError) in try btf.header(id).kind }
            guard kind != .dataSection else { continue }
            map[i] = next
            if kind == .variable || kind == .function {
                let type = try LinkInput.reading(name) { () throws(BTFError) in try btf.type(id) }
                if type.linkage != 0 {
                    // A VAR or FUNC no global names belongs to a dropped section (a repeated `license`).
                    guard let g = globalByName[type.name] else {
                        map[i] = 0
                        continue
                    }
                    if globals[g].underlying == .wanted || globals[g].typeID == 0 {
                        globals[g].underlying = .pending(source: type.sizeOrType, declaration: id)
                        pending.append(g)
                    }
                    if globals[g].typeID != 0 {
                        map[i] = globals[g].typeID
                        continue
                    }
                    globals[g].typeID = next
                    globals[g].declaration = (k, id)
                }
            }
            next += 1
            kept.append(i)
        }
        let start = TypeID(types.count)
        try LinkInput.reading(name) { () throws(BTFError) in try types.append(records: kept, of: btf) }
        // A reference outside the input, or to a type left out (a VAR of a dropped section), names
        // the input's type holding it.
        func failure(_ reference: UInt32, _ referrer: TypeID) -> LinkError {
            guard reference >= btf.firstID, reference < btf.endID else {
                return LinkError(
                    input: name, .btf(BTFError(.typeIDOutOfRange(reference, count: Int(btf.endID)), typeID: referrer)))
            }
            return LinkError(input: name, .droppedType(reference, referencedBy: referrer))
        }
        if let (reference, holder) = types.renumberReferences(from: start, map: map, firstID: btf.firstID) {
            throw failure(reference, btf.firstID + TypeID(kept[Int(holder - start)]))
        }
        func mapped(_ reference: TypeID, from referrer: TypeID) throws(LinkError) -> TypeID {
            let position = Int(reference) - Int(btf.firstID)
            guard reference != 0 else { return 0 }
            guard position >= 0, position < map.count, map[position] != 0 else { throw failure(reference, referrer) }
            return map[position]
        }
        for g in pending {
            guard case let .pending(source, declaration) = globals[g].underlying else { continue }
            types.setReferencedType(of: globals[g].typeID, to: try mapped(source, from: declaration))
            globals[g].underlying = .settled
            globals[g].declaration = (k, declaration)
        }
        inputs[k].typeMap = map
        try appendVariables(of: k, btf: btf)
    }

    /// Adds each DATASEC entry of input `k` to its output section's variables, offsets rebased; a
    /// global listed by an earlier input keeps that entry, its size updated to the settled type's.
    private mutating func appendVariables(of k: Int, btf: BTF) throws(LinkError) {
        for source in inputs[k].sections where source.dataSectionType != 0 && !source.isSkipped {
            let output = source.output
            sections[output].hasBTF = true
            let dataSection = try LinkInput.reading(inputs[k].name) { () throws(BTFError) in
                try btf.type(source.dataSectionType)
            }
            let first = source.firstVariableOffset
            for (j, entry) in dataSection.variables.enumerated() {
                let new = try outputType(of: entry.type, input: k, referrer: source.dataSectionType)
                let kind = types.kind(of: new)
                var global: Int?
                if (kind == .variable || kind == .function) && types.linkage(of: new) != 0 {
                    let symbol = types.name(of: new)
                    guard let g = globalByName[symbol] else { throw fail(k, .missingBTF(symbol: String(symbol))) }
                    guard globals[g].section == output else {
                        let expected = globals[g].section.map { sections[$0].name } ?? ".extern"
                        throw fail(
                            k,
                            .sectionMismatch(symbol: String(symbol), section: sections[output].name, expected: expected)
                        )
                    }
                    global = g
                    if let existing = globals[g].variableIndex, existing < sections[output].variables.count {
                        if kind == .variable {
                            let (input, declaration) = globals[g].declaration
                            let btf = inputs[input].btf
                            let size = try LinkInput.reading(inputs[input].name) { () throws(BTFError) in
                                guard let btf else { return 0 }
                                return try btf.size(of: declaration)
                            }
                            sections[output].variables[existing].size = UInt32(size)  // at most 4 GiB: checked
                        }
                        continue
                    }
                }
                let (offset, overflow) = source.outputOffset.addingReportingOverflow(
                    UInt64(inputs[k].variableOffsets[first + j]))
                guard !overflow, offset <= UInt64(UInt32.max) else {
                    throw fail(k, .sectionTooLarge(sections[output].name))
                }
                sections[output].variables.append((new, UInt32(offset), entry.size))
                if let global { globals[global].variableIndex = sections[output].variables.count - 1 }
            }
        }
    }

    /// The output id of input `k`'s type `id`.
    func outputType(of id: TypeID, input k: Int, referrer: TypeID) throws(LinkError) -> TypeID {
        let map = inputs[k].typeMap
        guard id != 0 else { return 0 }
        guard let btf = inputs[k].btf, id >= btf.firstID, id < btf.endID else {
            throw fail(k, .btf(BTFError(.typeIDOutOfRange(id, count: map.count + 1), typeID: referrer)))
        }
        let new = map[Int(id - btf.firstID)]
        guard new != 0 else { throw fail(k, .droppedType(id, referencedBy: referrer)) }
        return new
    }

    /// An extern resolved by input `k`'s definition (libbpf's `complete_extern_btf_info`): the VAR
    /// becomes allocated, the FUNC global, and its parameters take the definition's names (dedup
    /// would otherwise keep the nameless declaration apart).
    mutating func completeExternBTF(global g: Int, input k: Int, type source: TypeID) throws(LinkError) {
        let id = globals[g].typeID
        guard id != 0, let btf = inputs[k].btf else { return }
        if types.kind(of: id) == .variable {
            types.setLinkage(of: id, to: 1)  // BTF_VAR_GLOBAL_ALLOCATED
            return
        }
        types.setLinkage(of: id, to: 1)  // BTF_FUNC_GLOBAL
        let proto = types.sizeOrType(of: id)
        let parameters = try LinkInput.reading(inputs[k].name) { () throws(BTFError) in
            try btf.type(try btf.type(source).referencedType).parameters
        }
        guard proto < types.count, types.kind(of: proto) == .functionProto else { return }
        for (i, parameter) in parameters.enumerated() where !parameter.name.isEmpty {
            types.setParameterName(i, of: proto, to: parameter.name)
        }
    }

    /// Appends input `k`'s `.BTF.ext` records to their sections' (libbpf's `linker_append_btf_ext`):
    /// instruction offsets rebased, type ids renumbered, strings kept as text for the output's table.
    mutating func appendExt(of k: Int) throws(LinkError) {
        guard let ext = inputs[k].ext, let btf = inputs[k].btf else { return }
        func place(_ name: ByteString) throws(LinkError) -> (output: Int, offset: UInt64)? {
            guard let position = inputs[k].section(named: name) else {
                throw fail(k, .extSection(String(name), .noSuchSection))
            }
            let source = inputs[k].sections[position]
            // Records of a section with no code or data (a symbol or relocation table) are dropped, as
            // libbpf drops them for its unused section slot.
            return source.isSkipped || !source.isData ? nil : (source.output, source.outputOffset)
        }
        func rebased(_ offset: UInt32, by start: UInt64, section: ByteString) throws(LinkError) -> UInt32 {
            let moved = UInt64(offset) + start
            guard moved <= UInt64(UInt32.max) else {
                throw fail(k, .extSection(String(section), .instructionOutOfRange(offset)))
            }
            return UInt32(moved)
        }
        // Line records name their file one after another: the last file, line and access string
        // met are remembered (the string table finds the others by hashing).
        let lookups =
            ext.lineInfo.reduce(0) { $0 + 2 * $1.records.count }
            + ext.coreRelocations.reduce(0) { $0 + $1.records.count }
        // Line records name a source line each, most of them distinct.
        extStrings.reserve(strings: lookups / 2, bytes: min(btf.stringSectionSize, 64 * lookups))
        var lastFile = (offset: UInt32(0), placed: UInt32(0)), lastLine = lastFile, lastAccess = lastFile
        func text(_ offset: UInt32, _ last: inout (offset: UInt32, placed: UInt32)) throws(LinkError) -> UInt32 {
            if offset == last.offset { return last.placed }
            let string = try LinkInput.reading(inputs[k].name) { () throws(BTFError) in try btf.string(at: offset) }
            last = (offset, extStrings.offset(of: string))
            return last.placed
        }
        for section in ext.functionInfo {
            guard let (output, start) = try place(section.name) else { continue }
            sections[output].functionInfo.reserve(additional: section.records.count)
            for record in section.records {
                sections[output].functionInfo.append(
                    (
                        try rebased(record.instructionOffset, by: start, section: section.name),
                        try outputType(of: record.typeID, input: k, referrer: 0)
                    ))
            }
        }
        for section in ext.lineInfo {
            guard let (output, start) = try place(section.name) else { continue }
            sections[output].lineInfo.reserve(additional: section.records.count)
            for record in section.records {
                sections[output].lineInfo.append(
                    (
                        try rebased(record.instructionOffset, by: start, section: section.name),
                        try text(record.fileNameOffset, &lastFile), try text(record.lineOffset, &lastLine),
                        record.lineColumn
                    ))
            }
        }
        for section in ext.coreRelocations {
            guard let (output, start) = try place(section.name) else { continue }
            sections[output].coreRelocations.reserve(additional: section.records.count)
            for record in section.records {
                sections[output].coreRelocations.append(
                    (
                        try rebased(record.instructionOffset, by: start, section: section.name),
                        try outputType(of: record.typeID, input: k, referrer: 0),
                        try text(record.accessStringOffset, &lastAccess), record.kind
                    ))
            }
        }
    }
}
