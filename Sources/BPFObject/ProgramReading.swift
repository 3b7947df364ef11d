import BTF
import ELF64

extension ObjectSpec {
    /// Cuts the functions of an executable section into programs, with their BTF.ext records.
    mutating func readPrograms(
        _ section: Section, functions: UnsafeBufferPointer<Symbol>, fallback: Symbol?,
        extSections: inout ExtSectionsByName
    ) throws(ObjectError) {
        let sectionName = String(section.name)
        guard section.size % UInt64(Instruction.size) == 0 else {
            throw .invalidProgram(
                name: sectionName, section: sectionName,
                reason: .sectionNotInstructions(size: section.size))
        }
        // libbpf's `SEC("?…")`: the kind is the rest's, and the program is not loaded unless asked.
        let optional = sectionName.hasPrefix("?")
        let kind =
            sectionName == ".text"
            ? nil : ProgramKind(section: optional ? String(sectionName.dropFirst()) : sectionName)
        if kind == nil, sectionName != ".text" { untypedProgramSections.append(sectionName) }
        let count = Int(section.size) / Instruction.size
        // The section's BTF.ext records, found once for all its functions.
        let functionInfo = extSections.functions.take(section.name)
        let lineInfo = extSections.lines.take(section.name)
        func append(_ name: String, isGlobal: Bool, isHidden: Bool = false, start: Int, length: Int) throws(ObjectError)
        {
            guard
                let code = ByteReader(section.data, order: byteOrder)
                    .slice(offset: UInt64(start * Instruction.size), size: UInt64(length * Instruction.size))
            else {
                throw .invalidProgram(
                    name: name, section: sectionName, reason: .instructionsOutsideSection(start..<start + length))
            }
            // Made in place in the list (a local appended would be copied, each of its arrays retained).
            programs.append(
                ProgramSpec(
                    name: name, sectionName: sectionName, sectionIndex: section.index, kind: kind,
                    instructions: Instruction.decode(code, order: byteOrder), sectionOffset: start, isGlobal: isGlobal))
            let last = programs.count - 1
            programs[last].autoLoad = !optional
            programs[last].isHidden = isHidden
            let range = start * Instruction.size..<(start + length) * Instruction.size
            if let functionInfo { programs[last].functionRecords = functionInfo.records(in: range) }
            if let lineInfo { programs[last].lineRecords = lineInfo.records(in: range) }
        }
        // Functions come in offset order; old compilers' objects carry no STT_FUNC: the whole section is one program.
        if functions.isEmpty {
            let programName: String
            if let fallback {
                programName = try Self.programName(fallback.name, in: sectionName)
            } else {
                var bytes = Array(sectionName.utf8)
                for i in bytes.indices where !Self.isIdentifierByte(bytes[i]) { bytes[i] = UInt8(ascii: "_") }
                programName = String(decoding: bytes, as: UTF8.self)
            }
            try append(programName, isGlobal: fallback?.binding != .local, start: 0, length: count)
            return
        }
        // Unnamed function symbols are skipped (walked as slices: no copy of the list); one whose name
        // is too long to read is refused, not skipped (its program would vanish silently).
        if let long = functions.first(where: \.nameIsTooLong) {
            throw .invalidProgram(
                name: "symbol \(long.index)", section: sectionName,
                reason: .nameLongerThan(limit: ByteString.maximumLength))
        }
        var rest = functions.drop { $0.name.isEmpty }
        // Functions may not overlap (overlapping symbols would decode, relocate and link shared
        // instructions once per symbol: quadratic in the file), but for aliases: symbols naming the
        // same instructions (`__attribute__((alias))`), each a program sharing the first's arrays.
        var previousStart = -1, previousEnd = 0  // this section's last function, in instructions
        while let f = rest.first {
            rest = rest.dropFirst().drop { $0.name.isEmpty }
            let name = try Self.programName(f.name, in: sectionName)
            guard f.value % UInt64(Instruction.size) == 0, f.value < section.size else {
                throw .invalidProgram(name: name, section: sectionName, reason: .startNotInstruction(offset: f.value))
            }
            let start = Int(f.value) / Instruction.size
            let end =
                f.size > 0
                ? start + Int(min(f.size, section.size) / UInt64(Instruction.size))
                : rest.first.map { min(count, Int(clamping: $0.value) / Instruction.size) } ?? count
            guard f.size % UInt64(Instruction.size) == 0, end <= count, end > start else {
                throw .invalidProgram(
                    name: name, section: sectionName, reason: .crossesSectionEnd(size: f.size, offset: f.value))
            }
            let isGlobal = f.binding != .local
            let isHidden = isGlobal && (f.visibility == .hidden || f.visibility == .internal)
            if start == previousStart, end == previousEnd {
                programs.append(programs[programs.count - 1])
                programs[programs.count - 1].name = name
                programs[programs.count - 1].isGlobal = isGlobal
                programs[programs.count - 1].isHidden = isHidden
                continue
            }
            if start < previousEnd {
                let previousEndByte = UInt64(previousEnd * Instruction.size)
                throw .invalidProgram(
                    name: name, section: sectionName,
                    reason: .overlapsPreviousFunction(offset: f.value, previousEnd: previousEndByte))
            }
            (previousStart, previousEnd) = (start, end)
            try append(name, isGlobal: isGlobal, isHidden: isHidden, start: start, length: end - start)
        }
    }

    /// ASCII letters and digits: what a program named after its section keeps of the name (the rest become `_`).
    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Turns each relocation of a program section into a ``Reference`` of the program holding the instruction.
    mutating func readReferences(_ sections: UnsafeBufferPointer<Section>, _ symbols: SymbolTable) throws(ObjectError) {
        // What each section is to a relocation against it, found once (objects carry thousands of
        // relocations), in a temporary table.
        try withUnsafeTemporaryAllocation(of: RelocationTargets.Target.self, capacity: sections.count) {
            (table) throws(ObjectError) in
            try readReferences(sections, symbols, RelocationTargets(filling: table, from: sections, maps: maps))
        }
        shareRelocationsWithAliases()
    }

    private mutating func readReferences(
        _ sections: UnsafeBufferPointer<Section>, _ symbols: SymbolTable, _ targets: RelocationTargets
    ) throws(ObjectError) {
        // Programs come in (section, offset) order (readPrograms appends them so): an instruction's
        // program is found by binary search, first for its section's programs, then by offset.
        assert(
            zip(programs, programs.dropFirst()).allSatisfy {
                ($0.sectionIndex, $0.sectionOffset) <= ($1.sectionIndex, $1.sectionOffset)
            })
        func programsOf(_ section: Int) -> Range<Int> {
            let start = Self.partition(programs.count) { programs[$0].sectionIndex >= section }
            let end = Self.partition(programs.count) { programs[$0].sectionIndex > section }
            return start..<end
        }
        // Only relocations of program sections matter here (debug sections carry tens of thousands).
        for relSection in sections where relSection.holdsRelocations {
            let candidates = programsOf(Int(relSection.info))
            guard !candidates.isEmpty else { continue }
            let table: RelocationTable
            do { table = try elf.relocations(in: relSection, against: symbols) } catch { throw .elf(error) }
            let target = table.targetSectionIndex
            let targetSize = sections[target].size  // every header was decoded on open: no second decode
            // One program in the section (the usual case) takes every relocation: room made at once.
            if candidates.count == 1 { programs[candidates.lowerBound].references.reserveCapacity(table.count) }
            for r in table {
                guard r.offset < targetSize, r.offset % UInt64(Instruction.size) == 0 else {
                    throw .invalidInstruction(
                        program: String(sections[target].name), instruction: Int(r.offset / 8),
                        reason: .relocationNotInstruction(offset: r.offset, sectionSize: targetSize))
                }
                let sectionInstruction = Int(r.offset) / Instruction.size
                // Outside every function: bytes of a weak function another object overrode (`bpftool gen
                // object` leaves them, with their relocations, between functions). libbpf skips these too.
                guard let p = Self.program(containing: sectionInstruction, among: candidates, programs) else {
                    continue
                }
                let index = sectionInstruction - programs[p].sectionOffset
                let symbol = symbols[r.symbolIndex]
                let reference: Reference
                do {
                    reference = try Self.reference(
                        to: symbol, from: programs[p].instructions, at: index, targets: targets, elf: elf, maps: maps)
                } catch {
                    throw .unresolvedRelocation(
                        program: programs[p].name, instruction: index,
                        symbol: Self.displayName(of: symbol, elf: elf), reason: error.reason)
                }
                programs[p].references.append(reference)
            }
        }
    }

    /// Gives each alias (a program naming the same instructions as the program after it) the
    /// references and instructions of the last program of its group: the one relocations and CO-RE
    /// records reach (``program(containing:among:_:)`` finds the last). Arrays are shared, not copied.
    mutating func shareRelocationsWithAliases() {
        for p in programs.indices.reversed() where isAlias(p) {
            programs[p].references = programs[p + 1].references
            programs[p].instructions = programs[p + 1].instructions
        }
    }

    /// Whether program `p` is an alias of the program after it: a symbol naming the same
    /// instructions (functions do not otherwise share a start).
    func isAlias(_ p: Int) -> Bool {
        p + 1 < programs.count && programs[p].sectionIndex == programs[p + 1].sectionIndex
            && programs[p].sectionOffset == programs[p + 1].sectionOffset
    }

    /// Refuses instructions that arrive carrying a kernel reference without a relocation to justify
    /// it: an `ld_imm64` whose source names a map fd or index, a BTF id or a function, or a kfunc
    /// call. Passed on as they are (libbpf does, but for `BPF_PSEUDO_FUNC`), the kernel would bind
    /// whatever map the loading process has open at that number, or read past `fd_array`.
    /// A `BPF_PSEUDO_CALL` without relocation stays: older compilers emit calls within a section so.
    mutating func checkPseudoSources() throws(ObjectError) {
        // An alias is checked as the last program of its group (same instructions, same references).
        for p in programs.indices where !isAlias(p) {
            // The relocated instructions in order: the references themselves, as relocations
            // usually come sorted; a sorted copy otherwise.
            let references = programs[p].references
            let inOrder = zip(references, references.dropFirst()).allSatisfy { $0.instruction <= $1.instruction }
            let instructions = programs[p].instructions
            let found =
                inOrder
                ? Self.kernelReferenceWithoutRelocation(instructions, relocated: references.lazy.map { $0.instruction })
                : Self.kernelReferenceWithoutRelocation(instructions, relocated: references.map(\.instruction).sorted())
            if let (index, insn) = found {
                throw .invalidInstruction(
                    program: programs[p].name, instruction: index,
                    reason: .kernelReferenceWithoutRelocation(call: insn.isCall, source: insn.source))
            }
        }
    }

    /// The first instruction carrying a kernel reference that no relocation (`relocated`: their
    /// instruction indices, ascending) accounts for.
    private static func kernelReferenceWithoutRelocation(
        _ instructions: [Instruction], relocated: some RandomAccessCollection<Int>
    ) -> (index: Int, instruction: Instruction)? {
        var next = relocated.startIndex, index = 0
        while index < instructions.count {
            let insn = instructions[index]
            // Most instructions are neither: one look at the opcode. Only an instruction carrying a
            // reference is looked up among the relocated ones (ascending: the cursor only moves on).
            let isLoad = insn.isLoadImmediate64
            guard isLoad || insn.isCall else {
                index += 1
                continue
            }
            if isLoad ? insn.source != 0 : insn.source == PseudoSource.kfuncCall {
                while next != relocated.endIndex, relocated[next] < index { relocated.formIndex(after: &next) }
                if next == relocated.endIndex || relocated[next] != index { return (index, insn) }
            }
            index += isLoad ? 2 : 1
        }
        return nil
    }

    /// The program among `candidates` (indices of one section's programs, in offset order) whose instructions include `instruction`.
    static func program(containing instruction: Int, among candidates: Range<Int>, _ programs: [ProgramSpec]) -> Int? {
        let next =
            candidates.lowerBound
            + partition(candidates.count) { programs[candidates.lowerBound + $0].sectionOffset > instruction }
        guard next > candidates.lowerBound else { return nil }
        let p = next - 1
        return instruction < programs[p].sectionOffset + programs[p].instructions.count ? p : nil
    }

    /// The program of section `section` that starts at `instruction`, found by binary search
    /// (programs are in section, then offset order).
    static func program(startingAt instruction: Int, inSection section: Int, _ programs: [ProgramSpec]) -> Int? {
        let p = partition(programs.count) {
            (programs[$0].sectionIndex, programs[$0].sectionOffset) >= (section, instruction)
        }
        return p < programs.count && programs[p].sectionIndex == section && programs[p].sectionOffset == instruction
            ? p : nil
    }

    /// The first index in `0..<count` for which `isAfter` holds, `isAfter` being false then true along the range.
    static func partition(_ count: Int, _ isAfter: (Int) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if isAfter(mid) { high = mid } else { low = mid + 1 }
        }
        return low
    }

    /// Why a relocation names nothing an instruction can refer to.
    struct UnresolvedReference: Error {
        let reason: RelocationProblem
    }

    /// A symbol's name, or its section's for a section symbol.
    static func displayName(of symbol: Symbol, elf: ELFFile) -> String {
        symbol.name.isEmpty && symbol.section.sectionIndex != nil
            ? String(elf.sections[symbol.section.sectionIndex ?? 0].name) : String(symbol.name)
    }

    /// What instruction `index` of `instructions`, relocated against `symbol`, refers to, following libbpf's rules.
    /// Static, and given only what it reads: relocations are many, and a method would copy the spec for each.
    static func reference(
        to symbol: Symbol, from instructions: [Instruction], at index: Int, targets: RelocationTargets,
        elf: ELFFile, maps: [MapSpec]
    ) throws(UnresolvedReference) -> Reference {
        let insn = instructions[index]
        func fail(_ reason: RelocationProblem) -> UnresolvedReference { UnresolvedReference(reason: reason) }
        guard let sectionIndex = symbol.section.sectionIndex else {
            if symbol.section == .undefined, insn.isLoadImmediate64 || insn.isCall {
                // The loader writes an ld_imm64's second half too: it must be inside the function.
                guard insn.isCall || index + 1 < instructions.count else { throw fail(.externWithoutSecondHalf) }
                return Reference(instruction: index, target: .external(displayName(of: symbol, elf: elf)))
            }
            throw fail(.symbolNotInSection(symbol.section))
        }
        let section = targets.sections[sectionIndex]
        if insn.isCall {
            // BPF-to-BPF call: target = symbol offset + imm + 1 instructions (imm is -1 for global functions).
            guard insn.source == PseudoSource.call else { throw fail(.callNotBPFToBPF(source: insn.source)) }
            guard section.isCode, symbol.value < section.size, symbol.value % UInt64(Instruction.size) == 0 else {
                throw fail(.callTargetNotCode)
            }
            let target = Int(symbol.value) / Instruction.size + Int(insn.immediate) + 1
            return Reference(
                instruction: index, target: .function(section: sectionIndex, instruction: target, callback: false))
        }
        guard insn.isLoadImmediate64, index + 1 < instructions.count else {
            throw fail(.unexpectedInstruction(opcode: insn.opcode))
        }
        if section.isCode {
            // Callback: the address of a function, byte offset = symbol + imm.
            guard symbol.value < section.size else { throw fail(.callbackOutsideSection) }
            let byteOffset = Int64(symbol.value) + Int64(insn.immediate)
            guard byteOffset >= 0, byteOffset % Int64(Instruction.size) == 0 else {
                throw fail(.callbackNotInstruction)
            }
            return Reference(
                instruction: index,
                target: .function(
                    section: sectionIndex, instruction: Int(byteOffset) / Instruction.size, callback: true))
        }
        func name() -> ByteString { elf.sections[sectionIndex].name }  // for messages only
        if section.holdsMapDefinitions {
            guard let map = targets.maps[MapPlace(section: sectionIndex, offset: symbol.value)] else {
                throw fail(.noMapAt(offset: symbol.value, section: String(name())))
            }
            return Reference(instruction: index, target: .map(map))
        }
        if let map = section.dataMap {
            guard symbol.value <= UInt64(maps[map].valueSize) else {
                throw fail(.symbolOutsideSection(value: symbol.value, section: String(name())))
            }
            let offset = Int64(symbol.value) + Int64(insn.immediate)
            guard offset >= 0, offset < Int64(max(maps[map].valueSize, 1)) else {
                throw fail(.offsetOutsideSection(offset: offset, section: String(name())))
            }
            return Reference(instruction: index, target: .mapValue(map, offset: UInt32(offset)))
        }
        throw fail(.sectionNotReferable(String(name())))
    }
}

/// Where a map definition is: its section and byte offset.
struct MapPlace: Hashable, Sendable {
    let section: Int
    let offset: UInt64
}

/// The `.BTF.ext` func_info and line_info sections by ELF section name (the first of a name wins), found once per object.
struct ExtSectionsByName {
    var functions: ExtSectionIndex<FunctionInfo>
    var lines: ExtSectionIndex<LineInfo>

    init(functions: [ExtSection<FunctionInfo>], lines: [ExtSection<LineInfo>]) {
        self.functions = ExtSectionIndex(functions)
        self.lines = ExtSectionIndex(lines)
    }
}

/// One kind of `.BTF.ext` section by name, the first of a name winning: a few (the usual object)
/// searched in place, with no table to make; more hashed.
struct ExtSectionIndex<Record: ExtRecord> {
    private let sections: [ExtSection<Record>]
    private let table: FirstByName<ByteString, UInt32>?
    /// Sections taken: the first 32 by bit, the rest in a list made when one is taken.
    private var taken: UInt32 = 0, takenBeyond: [Bool] = []

    init(_ sections: [ExtSection<Record>]) {
        self.sections = sections
        table = sections.count > 16 ? FirstByName(sections.enumerated().map { ($1.name, UInt32($0)) }) : nil
    }

    /// The section named `name` for the first program section of that name, nil for the next ones:
    /// records name their section, and as CO-RE's they describe the first of a name (N program
    /// sections of one name would each take all its records, copied when out of order: N×R).
    mutating func take(_ name: ByteString) -> ExtSection<Record>? {
        guard let found = table.map({ $0[name].map(Int.init) }) ?? sections.firstIndex(where: { $0.name == name })
        else { return nil }
        if found < 32 {
            guard taken & 1 << found == 0 else { return nil }
            taken |= 1 << found
        } else {
            if takenBeyond.isEmpty { takenBeyond = [Bool](filling: sections.count, with: false) }
            guard !takenBeyond[found] else { return nil }
            takenBeyond[found] = true
        }
        return sections[found]
    }
}

/// What each section of an object is to a relocation against a symbol in it, read once per object:
/// code, map definitions, or the global data of a map.
struct RelocationTargets {
    struct Target {
        var isCode = false
        var size: UInt64 = 0
        var holdsMapDefinitions = false
        /// The internal map holding the section's global data, if any.
        var dataMap: Int?
    }

    /// By section index.
    let sections: UnsafeBufferPointer<Target>
    /// Map definitions by where they are (the first map at a place wins).
    let maps: FirstByName<MapPlace, Int>

    /// Fills `table` (one entry per section) and views it.
    init(
        filling table: UnsafeMutableBufferPointer<Target>, from sections: UnsafeBufferPointer<Section>, maps: [MapSpec]
    ) {
        self.maps = FirstByName(
            maps.indices.map { (MapPlace(section: maps[$0].sectionIndex, offset: maps[$0].offset), $0) })
        for index in sections.indices {
            (table.baseAddress.unsafelyUnwrapped + index).initialize(
                to: Target(isCode: sections[index].flags.contains(.execInstr), size: sections[index].size))
        }
        for index in maps.indices.reversed()
        where maps[index].sectionIndex >= 0 && maps[index].sectionIndex < sections.count {
            switch maps[index].origin {
            // `.maps`, `maps`, `maps/…`
            case .btf, .legacy: table[maps[index].sectionIndex].holdsMapDefinitions = true
            case .data, .structOps: table[maps[index].sectionIndex].dataMap = index  // the section's first map
            }
        }
        self.sections = UnsafeBufferPointer(table)
    }
}
