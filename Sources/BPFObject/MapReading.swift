import BTF
import ELF64

extension ObjectSpec {
    /// `struct bpf_map_def` (20 bytes) or iproute2's `struct bpf_elf_map` (pinning at byte 24), one per symbol,
    /// in every legacy maps section (`symbols` walked once for all of them).
    mutating func readLegacyMaps(_ sections: [Section], _ symbols: SymbolTable) throws(ObjectError) {
        guard let last = sections.map(\.index).max() else { return }
        var slot = [Int](filling: last + 1, with: -1)
        for (i, section) in sections.enumerated() { slot[section.index] = i }
        var defined = [[Symbol]](filling: sections.count, with: [])
        for symbol in symbols where symbol.type != .section {
            guard let index = symbol.section.sectionIndex, index <= last, slot[index] >= 0 else { continue }
            if symbol.nameIsTooLong {
                throw .invalidMap(
                    name: "symbol \(symbol.index)", section: String(sections[slot[index]].name),
                    reason: .nameLongerThan(limit: ByteString.maximumLength))
            }
            guard !symbol.name.isEmpty else { continue }
            defined[slot[index]].append(symbol)
        }
        for (i, section) in sections.enumerated() {
            try readLegacyMaps(section, defined: defined[i].sorted { $0.value < $1.value })
        }
    }

    private mutating func readLegacyMaps(_ section: Section, defined: [Symbol]) throws(ObjectError) {
        let sectionName = String(section.name)
        guard !defined.isEmpty else { return }
        let reader = ByteReader(section.data, order: byteOrder)
        for symbol in defined {
            let name = try Self.name(symbol.name, in: sectionName)
            let size = symbol.size > 0 ? symbol.size : section.size / UInt64(defined.count)
            guard size >= 16, let r = reader.record(at: symbol.value, size: Int(min(size, 64))) else {
                throw .invalidMap(
                    name: name, section: sectionName,
                    reason: .outsideSection(size: UInt64(size), offset: symbol.value, sectionSize: section.size))
            }
            var spec = MapSpec(
                name: name, type: MapType(rawValue: r.u32(0)), keySize: r.u32(4), valueSize: r.u32(8),
                maxEntries: r.u32(12), flags: size >= 20 ? r.u32(16) : 0, origin: .legacy, sectionIndex: section.index)
            spec.offset = symbol.value
            if size >= 28 { spec.pinning = r.u32(24) }
            maps.append(spec)
        }
    }

    /// `SEC(".maps")` variables: each a struct whose members encode the definition
    /// (`__uint(x, N)` as a pointer to an array of N; `__type(x, T)` as a pointer to T).
    mutating func readBTFMaps(_ section: Section, _ symbols: SymbolTable) throws(ObjectError) {
        guard let btf else {
            throw .invalidMap(name: "*", section: ".maps", reason: .needsBTF)
        }
        do {
            guard let datasecID = dataSections[".maps"] else {
                throw ObjectError.invalidMap(name: "*", section: ".maps", reason: .noDataSection)
            }
            let variables = try btf.type(datasecID).variables
            // Where each map variable is: its symbol's value, by name (the first of a name wins); about
            // one symbol a variable, room made for them at once.
            let here = SymbolSection.index(section.index)
            var placed: [(key: ByteString, value: UInt64)] = []
            placed.reserveCapacity(variables.count)
            for symbol in symbols where symbol.section == here { placed.append((symbol.name, symbol.value)) }
            let placement = FirstByName(placed)
            // Definitions by struct type, each walked once (maps sharing a definition, as `struct inner a, b`,
            // or a DATASEC listing one variable many times, would walk its members once per map).
            // Definition struct → index in `maps` of its first map.
            var firstDefined = SmallTable<TypeID, Int>(expecting: variables.count)
            var seen = SmallTable<TypeID, Int>(expecting: variables.count)
            maps.reserveCapacity(maps.count + variables.count)
            for variable in variables {
                let v = try btf.type(variable.type)
                let name = try Self.name(v.name, in: ".maps")
                guard seen.insert(v.id, 0) else {
                    throw ObjectError.invalidMap(name: name, section: ".maps", reason: .listedTwice)
                }
                guard v.kind == .variable else {
                    throw ObjectError.invalidMap(name: name, section: ".maps", reason: .entryNotVariable(v.id, v.kind))
                }
                // clang leaves DATASEC offsets at 0: the symbol says where the definition is.
                guard let offset = placement[v.name] else {
                    throw ObjectError.invalidMap(name: name, section: ".maps", reason: .noSymbol)
                }
                // Appended, then completed in place (a local appended would be copied, its arrays retained).
                if let known = firstDefined[v.referencedType] {
                    maps.append(maps[known])
                    maps[maps.count - 1].name = name
                    if let inner = maps[known].innerMap?.spec {
                        var renamed = inner
                        renamed.name = name + ".inner"
                        maps[maps.count - 1].innerMap = InnerMapSpec(renamed)
                    }
                } else {
                    _ = firstDefined.insert(v.referencedType, maps.count)
                    maps.append(MapSpec(btfNamed: name, sectionIndex: section.index))
                    try Self.readBTFMapDefinition(
                        btf, typeID: v.referencedType, isInner: false, into: &maps[maps.count - 1])
                }
                maps[maps.count - 1].offset = offset
            }
        } catch {
            throw .converting(error)
        }
    }

    /// The map a BTF map-definition struct describes (also used for inner-map templates, which
    /// nest one level as in libbpf: an inner definition with `values` of its own is an error).
    static func btfMapDefinition(
        _ btf: BTF, typeID: TypeID, name: String, sectionIndex: Int, isInner: Bool = false
    ) throws -> MapSpec {
        var spec = MapSpec(btfNamed: name, sectionIndex: sectionIndex)
        try readBTFMapDefinition(btf, typeID: typeID, isInner: isInner, into: &spec)
        return spec
    }

    /// Completes `spec`, a map made by ``MapSpec/init(btfNamed:sectionIndex:)``, from its BTF
    /// definition in place (a definition returned would be copied into the map list).
    static func readBTFMapDefinition(_ btf: BTF, typeID: TypeID, isInner: Bool, into spec: inout MapSpec) throws {
        let name = spec.name, sectionIndex = spec.sectionIndex
        let definition = try btf.type(try btf.resolve(typeID))
        guard definition.kind == .struct else {
            throw ObjectError.invalidMap(name: name, section: ".maps", reason: .notStruct(definition.kind))
        }
        /// `__uint(field, N)`: a pointer to an array of N elements; `__ulong(field, N)`: an enum whose one value is N.
        func wide(_ m: Member) throws -> UInt64 {
            // The common shape, read from type headers: a pointer to an array of N.
            if let target = try btf.pointerTarget(of: m.type), let count = try btf.arrayCount(of: target) {
                return UInt64(count)
            }
            let pointer = try btf.type(try btf.resolve(m.type))
            if pointer.kind == .enum || pointer.kind == .enum64, let first = pointer.enumerators.first {
                return first.value
            }
            guard pointer.kind == .pointer else {
                throw ObjectError.invalidMap(
                    name: name, section: ".maps", reason: .memberForm(member: String(m.name), expected: .uint))
            }
            let target = try btf.type(try btf.resolve(pointer.referencedType))
            if target.kind == .enum || target.kind == .enum64, let first = target.enumerators.first {
                return first.value
            }
            throw ObjectError.invalidMap(
                name: name, section: ".maps", reason: .memberForm(member: String(m.name), expected: .uintOrULong))
        }
        func number(_ m: Member) throws -> UInt32 { UInt32(truncatingIfNeeded: try wide(m)) }
        /// `__type(field, T)`: a pointer to T; returns T's id and size.
        func typed(_ m: Member) throws -> (TypeID, UInt32) {
            guard let target = try btf.pointerTarget(of: m.type) else {
                throw ObjectError.invalidMap(
                    name: name, section: ".maps", reason: .memberForm(member: String(m.name), expected: .type))
            }
            return (target, UInt32(truncatingIfNeeded: try btf.size(of: target)))
        }
        var fields: UInt32 = 0  // one bit per MapField seen
        for m in definition.members {
            let field = MapField(m.name)
            if let field {
                guard fields & 1 << field.rawValue == 0 else {
                    throw ObjectError.invalidMap(name: name, section: ".maps", reason: .memberTwice(String(m.name)))
                }
                fields |= 1 << field.rawValue
            }
            switch field {
            case .type: spec.type = MapType(rawValue: try number(m))
            case .maxEntries: spec.maxEntries = try number(m)
            case .mapFlags: spec.flags = try number(m)
            case .numaNode: spec.numaNode = try number(m)
            case .pinning: spec.pinning = try number(m)
            case .mapExtra: spec.mapExtra = try wide(m)
            case .keySize: spec.keySize = try number(m)
            case .valueSize: spec.valueSize = try number(m)
            case .key: (spec.keyTypeID, spec.keySize) = try typed(m)
            case .value: (spec.valueTypeID, spec.valueSize) = try typed(m)
            case .values:
                guard !isInner else {
                    throw ObjectError.invalidMap(name: name, section: ".maps", reason: .innerMapHasValues)
                }
                spec.valuesOffset = UInt64(m.bitOffset / 8)
                // __array(values, T): an array of pointers to an inner map definition (or to programs).
                let array = try btf.type(try btf.resolve(m.type))
                guard array.kind == .array else {
                    throw ObjectError.invalidMap(name: name, section: ".maps", reason: .valuesNotArray)
                }
                let pointer = try btf.type(try btf.resolve(array.arrayInfo.element))
                guard pointer.kind == .pointer else {
                    throw ObjectError.invalidMap(name: name, section: ".maps", reason: .valuesNotPointers)
                }
                let target = try btf.type(try btf.resolve(pointer.referencedType))
                if target.kind == .struct {
                    spec.innerMap = InnerMapSpec(
                        try Self.btfMapDefinition(
                            btf, typeID: target.id, name: name + ".inner", sectionIndex: sectionIndex, isInner: true))
                }
            case nil:
                throw ObjectError.invalidMap(name: name, section: ".maps", reason: .unknownField(String(m.name)))
            }
        }
        if spec.valuesOffset != nil {
            // As libbpf: slots go only into program arrays and maps of maps, whose values are 4-byte ids.
            guard spec.type == .programArray || spec.type.holdsMaps else {
                throw ObjectError.invalidMap(name: name, section: ".maps", reason: .valuesOnMapType(spec.type))
            }
            guard spec.valueSize == 0 || spec.valueSize == 4 else {
                throw ObjectError.invalidMap(
                    name: name, section: ".maps", reason: .valueSizeConflictsWithValues(spec.valueSize))
            }
            spec.valueSize = 4
        }
    }

    /// A member of a BTF map definition, told by length first (one comparison per member).
    enum MapField: UInt32 {
        case type, maxEntries, mapFlags, numaNode, pinning, mapExtra, keySize, valueSize, key, value, values

        init?(_ name: ByteString) {
            let field: MapField? =
                switch name.count {
                case 3: name.matches("key") ? .key : nil
                case 4: name.matches("type") ? .type : nil
                case 5: name.matches("value") ? .value : nil
                case 6: name.matches("values") ? .values : nil
                case 7: name.matches("pinning") ? .pinning : nil
                case 8: name.matches("key_size") ? .keySize : nil
                case 9:
                    name.matches("map_flags")
                        ? .mapFlags
                        : name.matches("numa_node") ? .numaNode : name.matches("map_extra") ? .mapExtra : nil
                case 10: name.matches("value_size") ? .valueSize : nil
                case 11: name.matches("max_entries") ? .maxEntries : nil
                default: nil
                }
            guard let field else { return nil }
            self = field
        }
    }

    /// Initial values of program arrays and maps of maps: `.rel.maps` entries inside a map's `values`.
    mutating func readMapSlots(
        _ mapsSection: Section, _ symbols: SymbolTable, sections: UnsafeBufferPointer<Section>
    ) throws(ObjectError) {
        // Slots are relocations of the section: without any (most objects), nothing to sort.
        guard btf != nil, sections.contains(where: { $0.holdsRelocations && Int($0.info) == mapsSection.index }) else {
            return
        }
        // The section's BTF maps by offset: a slot belongs to the last one at or before it.
        let owners = maps.indices.filter { maps[$0].origin == .btf && maps[$0].sectionIndex == mapsSection.index }
            .sorted { (maps[$0].offset, $0) < (maps[$1].offset, $1) }
        // Of maps at one offset, the first owns the slot: where each run of equal offsets starts.
        var runStart = Array(owners.indices)
        for i in owners.indices.dropFirst() where maps[owners[i]].offset == maps[owners[i - 1]].offset {
            runStart[i] = runStart[i - 1]
        }
        for relSection in sections where relSection.holdsRelocations && Int(relSection.info) == mapsSection.index {
            let table: RelocationTable
            do { table = try elf.relocations(in: relSection, against: symbols) } catch { throw .elf(error) }
            guard table.targetSectionIndex == mapsSection.index else { continue }
            for r in table {
                let symbol = symbols[r.symbolIndex]
                // The slot belongs to the last map defined at or before it (`values` is a flexible array past the struct;
                // of maps at one offset, the first).
                let after = Self.partition(owners.count) { maps[owners[$0]].offset > r.offset }
                guard after > 0, case let index = owners[runStart[after - 1]] else {
                    throw .unresolvedRelocation(
                        program: ".maps", instruction: Int(clamping: r.offset), symbol: String(symbol.name),
                        reason: .outsideMapDefinitions)
                }
                guard let valuesOffset = maps[index].valuesOffset else {
                    throw .invalidMap(name: maps[index].name, section: ".maps", reason: .relocatedWithoutValues)
                }
                let (start, overflow) = maps[index].offset.addingReportingOverflow(valuesOffset)
                guard !overflow, r.offset >= start, (r.offset - start) % 8 == 0 else {
                    throw .unresolvedRelocation(
                        program: ".maps", instruction: Int(clamping: r.offset), symbol: String(symbol.name),
                        reason: .notMapSlot(map: maps[index].name))
                }
                let key = UInt32(truncatingIfNeeded: (r.offset - start) / 8)
                maps[index].slots[key] =
                    symbol.type == .function ? .program(String(symbol.name)) : .map(String(symbol.name))
            }
        }
    }
}
