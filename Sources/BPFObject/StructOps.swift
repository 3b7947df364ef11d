import BTF
import ELF64

/// A `struct_ops` map as the object declares it: a variable of a kernel ops struct
/// (`struct tcp_congestion_ops …` in `SEC(".struct_ops.link")`) whose function pointers
/// name programs. The kernel layout is only known at load: see ``StructOpsLayout``.
public struct StructOpsSpec: Sendable, Hashable {
    /// The struct's name without a `___flavor` suffix: the kernel type it fills.
    public var typeName: String
    /// The struct in the object's BTF.
    public var typeID: TypeID
    /// The variable's bytes as the object lays them out (function pointers zero).
    public var data: [UInt8]
    /// The function-pointer members set to programs, in offset order.
    public var functions: [StructOpsFunction]
}

/// A function-pointer member of a struct_ops variable and the program it names.
public struct StructOpsFunction: Sendable, Hashable {
    /// The member's name, e.g. `ssthresh`.
    public var member: String
    /// The member's byte offset in the object's struct.
    public var offset: Int
    /// The program (a function of a `struct_ops` section).
    public var program: String
}

extension ObjectSpec {
    /// Whether a section declares struct_ops maps, and whether they register through a link
    /// (`.struct_ops.link`) and are created by default (a `?` prefix says not).
    static func structOpsSection(_ name: ByteString) -> (link: Bool, autoCreate: Bool)? {
        switch name {
        case ".struct_ops": (false, true)
        case ".struct_ops.link": (true, true)
        case "?.struct_ops": (false, false)
        case "?.struct_ops.link": (true, false)
        default: nil
        }
    }

    /// One map per variable of a struct_ops section, its function pointers resolved to programs
    /// through the section's relocations (read after the programs).
    mutating func readStructOps(
        _ section: Section, _ symbols: SymbolTable, sections: UnsafeBufferPointer<Section>
    ) throws(ObjectError) {
        let sectionName = String(section.name)
        guard let (isLink, autoCreate) = Self.structOpsSection(section.name) else { return }
        guard let btf, let datasec = dataSections[sectionName] else {
            throw .invalidMap(name: "*", section: sectionName, reason: .needsBTF)
        }
        let variables = FirstByName(
            symbols.compactMap {
                $0.section == .index(section.index) && $0.type == .object && !$0.name.isEmpty
                    ? ($0.name, UInt32($0.index)) : nil
            })
        var first = maps.count
        var ranges: [(bytes: Range<Int>, map: Int)] = []
        do {
            for entry in try btf.type(datasec).variables {
                let variable = try btf.type(entry.type)
                let name = try Self.name(variable.name, in: sectionName)
                guard variable.kind == .variable else {
                    throw ObjectError.invalidMap(
                        name: name, section: sectionName, reason: .entryNotVariable(variable.id, variable.kind))
                }
                let structID = try btf.resolve(variable.referencedType)
                let type = try btf.type(structID)
                guard type.kind == .struct else {
                    throw ObjectError.invalidMap(name: name, section: sectionName, reason: .notStruct(type.kind))
                }
                // clang leaves DATASEC offsets at 0: the symbol says where the variable is.
                guard let symbol = variables[variable.name].map({ symbols[Int($0)] }) else {
                    throw ObjectError.invalidMap(name: name, section: sectionName, reason: .noSymbol)
                }
                let size = try btf.size(of: structID)
                let (end, overflow) = symbol.value.addingReportingOverflow(UInt64(size))
                guard !overflow, end <= UInt64(section.data.count) else {
                    throw ObjectError.invalidMap(
                        name: name, section: sectionName,
                        reason: .outsideSection(
                            size: UInt64(size), offset: symbol.value, sectionSize: UInt64(section.data.count)))
                }
                var spec = MapSpec(
                    name: name, type: .structOps, keySize: 4, valueSize: UInt32(truncatingIfNeeded: size),
                    maxEntries: 1,
                    flags: isLink ? MapFlag.link : 0, origin: .structOps(section: sectionName),
                    sectionIndex: section.index)
                spec.offset = symbol.value
                spec.valueTypeID = structID
                spec.autoCreate = autoCreate
                spec.structOps = StructOpsSpec(
                    typeName: CORE.essentialName(String(type.name)), typeID: structID, data: [], functions: [])
                ranges.append((Int(symbol.value)..<Int(end), maps.count))
                maps.append(spec)
            }
            // Variables do not overlap (a variable listed twice, or two symbols on the same bytes, would
            // copy those bytes once per entry): checked in offset order, then each copies its own bytes.
            ranges.sort { ($0.bytes.lowerBound, $0.map) < ($1.bytes.lowerBound, $1.map) }
            for (previous, next) in zip(ranges, ranges.dropFirst())
            where next.bytes.lowerBound < previous.bytes.upperBound {
                throw ObjectError.invalidMap(
                    name: maps[next.map].name, section: sectionName,
                    reason: .overlaps(other: maps[previous.map].name))
            }
            for (bytes, map) in ranges { maps[map].structOps?.data = Array(section.data[bytes]) }
        } catch {
            throw .converting(error)
        }
        // The section's maps by offset, and each ops struct's members by offset, found once for all relocations.
        let byOffset = (first..<maps.count).sorted { (maps[$0].offset, $0) < (maps[$1].offset, $1) }
        var members: [Int: Int] = [:]  // (ops type << 32 | member bit offset) → member index, the first at each offset
        for relSection in sections where relSection.holdsRelocations && Int(relSection.info) == section.index {
            let table: RelocationTable
            do { table = try elf.relocations(in: relSection, against: symbols) } catch { throw .elf(error) }
            for r in table {
                try bindStructOpsFunction(r, section, symbols, maps: byOffset, members: &members, btf: btf)
            }
        }
        while first < maps.count {
            maps[first].structOps?.functions.sort { $0.offset < $1.offset }
            first += 1
        }
    }

    /// Records the program a relocation of a struct_ops section puts into a function-pointer member.
    private mutating func bindStructOpsFunction(
        _ r: Relocation, _ section: Section, _ symbols: SymbolTable,
        maps candidates: [Int], members: inout [Int: Int], btf: BTF
    ) throws(ObjectError) {
        let sectionName = String(section.name)
        let symbol = symbols[r.symbolIndex]
        // The last variable starting at or before the relocation (variables do not overlap).
        let after = Self.partition(candidates.count) { maps[candidates[$0]].offset > r.offset }
        guard after > 0, case let index = candidates[after - 1],
            r.offset - maps[index].offset < UInt64(maps[index].valueSize),
            let ops = maps[index].structOps
        else {
            throw .unresolvedRelocation(
                program: sectionName, instruction: Int(clamping: r.offset),
                symbol: Self.displayName(of: symbol, elf: elf),
                reason: .outsideStructOpsVariables)
        }
        let mapName = maps[index].name
        let offset = Int(r.offset - maps[index].offset)
        func failure(_ reason: MapProblem) -> ObjectError {
            .invalidMap(name: mapName, section: sectionName, reason: reason)
        }
        let member: Member
        do {
            let opsMembers = try btf.type(ops.typeID).members
            // Each ops type's members are indexed once (marked by an entry at bit offset 2^32, past any real one).
            let typeKey = Int(ops.typeID) << 33
            if members[typeKey | 1 << 32] == nil {
                members[typeKey | 1 << 32] = 0
                for (i, m) in opsMembers.enumerated() where members[typeKey | Int(m.bitOffset)] == nil {
                    members[typeKey | Int(m.bitOffset)] = i
                }
            }
            guard offset <= Int(UInt32.max) / 8, let found = members[typeKey | offset * 8].map({ opsMembers[$0] }),
                try btf.type(try btf.resolve(found.type)).kind == .pointer
            else {
                throw failure(.notFunctionPointerMember(offset: offset))
            }
            member = found
        } catch {
            throw .converting(error)
        }
        // A function symbol names its program; a section symbol (a static function) does with the stored addend.
        var target = symbol.value
        if symbol.type == .section, r.offset + 8 <= UInt64(section.data.count) {
            target &+= Record(
                UnsafeRawBufferPointer(rebasing: section.data[Int(r.offset)..<Int(r.offset) + 8]), order: byteOrder
            ).u64(0)
        }
        guard let sectionIndex = symbol.section.sectionIndex, target % UInt64(Instruction.size) == 0,
            target / 8 <= UInt64(Int.max),
            let program = Self.program(
                startingAt: Int(target / UInt64(Instruction.size)), inSection: sectionIndex, programs)
        else {
            throw failure(
                .memberTargetNotProgram(member: String(member.name), symbol: Self.displayName(of: symbol, elf: elf)))
        }
        guard programs[program].kind?.programType == .structOps else {
            throw failure(
                .memberProgramNotStructOps(
                    member: String(member.name), program: programs[program].name, section: programs[program].sectionName
                ))
        }
        maps[index].structOps?.functions.append(
            StructOpsFunction(member: String(member.name), offset: offset, program: programs[program].name))
    }

    /// Whether a struct_ops program is named by a map the loader creates (libbpf loads no other).
    public func isUsedByStructOps(_ program: String) -> Bool {
        maps.contains { $0.autoCreate && $0.structOps?.functions.contains { $0.program == program } == true }
    }

    /// Whether a load loads `program`: an entry program left to load, and for a struct_ops
    /// program, one a created struct_ops map names.
    public func loads(_ program: ProgramSpec) -> Bool {
        loads(program, named: program.kind?.programType == .structOps ? structOpsProgramNames : [])
    }

    private func loads(_ program: ProgramSpec, named: Set<String>) -> Bool {
        guard !program.isSubprogram, program.autoLoad else { return false }
        return program.kind?.programType != .structOps || named.contains(program.name)
    }

    /// The programs that created struct_ops maps name.
    private var structOpsProgramNames: Set<String> {
        var names: Set<String> = []
        for index in maps.indices where maps[index].autoCreate {
            for function in maps[index].structOps?.functions ?? [] { names.insert(function.program) }
        }
        return names
    }

    /// Where in ``programs`` the entry programs a load loads are (see ``loads(_:)``), in order;
    /// the maps are looked at once, not once per program.
    public var programIndicesToLoad: [Int] {
        // The maps are looked at only when a struct_ops program is there to be named.
        let named = programs.contains { $0.kind?.programType == .structOps } ? structOpsProgramNames : []
        var indices: [Int] = []
        indices.reserveCapacity(programs.count)
        for index in programs.indices where loads(programs[index], named: named) { indices.append(index) }
        return indices
    }

    /// The entry programs a load loads (see ``loads(_:)``), in order.
    public var programsToLoad: [ProgramSpec] { programIndicesToLoad.map { programs[$0] } }
}
