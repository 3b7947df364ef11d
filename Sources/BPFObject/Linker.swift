/// A program ready for the kernel but for file descriptors: its instructions
/// followed by copies of every subprogram it reaches, calls and callbacks
/// pointing at those copies, map loads holding map indices where fds go.
public struct LinkedProgram: Sendable {
    public let name: String
    public let sectionName: String
    public let kind: ProgramKind?
    public internal(set) var instructions: [Instruction]
    /// `ld_imm64` instructions that name a map: the loader puts the map's fd in their immediate.
    public internal(set) var mapLoads: [MapLoad] = []
    public internal(set) var functionInfo: [FunctionRecord] = []
    public internal(set) var lineInfo: [LineRecord] = []
    /// Instructions that use `__ksym` externs, filled by ``apply(ksyms:)`` once the kernel is known.
    public internal(set) var externUses: [ExternUse] = []
    /// The kernel modules' BTF this program's kfuncs and variables come from, as indices into the
    /// targets ``ObjectSpec/ksymValues(targets:kallsyms:)`` resolved against: module `i` goes to
    /// `fd_array[i + 1]`, the slot its kfunc calls name in their offset (slot 0 means vmlinux).
    public internal(set) var moduleBTFs: [Int] = []
    /// `ld_imm64` of a module's typed variable: the loader puts that module's BTF fd in the
    /// second half's immediate.
    public internal(set) var moduleVariableLoads: [(instruction: Int, moduleBTF: Int)] = []
    /// Names of the functions placed after the entry program, in order.
    public internal(set) var subprograms: [String] = []
    /// Where each of ``subprograms`` starts, and its index in ``ObjectSpec/programs``.
    public internal(set) var placements: [(program: Int, start: Int)] = []
}

extension LinkedProgram {
    /// Puts a map's file descriptor in the immediate of the `ld_imm64` that names it.
    public mutating func setMapDescriptor(_ fd: Int32, for load: MapLoad) {
        instructions[load.instruction].immediate = fd
    }
}

/// An `ld_imm64` (`BPF_PSEUDO_MAP_FD` or `BPF_PSEUDO_MAP_VALUE`) naming a map of the spec.
public struct MapLoad: Hashable, Sendable {
    public let instruction: Int
    /// Index into ``ObjectSpec/maps``.
    public let map: Int
}

/// Links entry programs with the subprograms they call, as libbpf does: each program
/// gets its own copy of every subprogram it reaches, transitively.
public enum Linker {
    /// Links the entry program named `name`.
    public static func link(_ spec: ObjectSpec, program name: String) throws(ObjectError) -> LinkedProgram {
        guard let entry = spec.programs.firstIndex(where: { $0.name == name }) else {
            throw .invalidProgram(name: name, section: "", reason: .noSuchProgram)
        }
        return try link(spec, programAt: entry)
    }

    /// Links the entry program at `entry` in ``ObjectSpec/programs``.
    public static func link(_ spec: ObjectSpec, programAt entry: Int) throws(ObjectError) -> LinkedProgram {
        try link(spec, programAt: entry, kconfigMap: nil)
    }

    /// ``link(_:programAt:)`` with the spec's ``ObjectSpec/kconfigMapIndex`` when the caller found it
    /// already (`.some`): a loader linking every program finds it once, not once per program.
    package static func link(
        _ spec: ObjectSpec, programAt entry: Int, kconfigMap known: Int??
    ) throws(ObjectError) -> LinkedProgram {
        var linked = LinkedProgram(
            name: spec.programs[entry].name, sectionName: spec.programs[entry].sectionName,
            kind: spec.programs[entry].kind, instructions: spec.programs[entry].instructions)
        // Subprogram index → first instruction in the linked program; the entry sits at 0. Both stay
        // unallocated for a program that calls nothing.
        // The `.kconfig` map, found on the first extern met (a search per reference would be quadratic).
        var kconfigMap = known
        var placed = SmallTable<Int, Int>()  // placed subprogram → where it starts
        // Placed subprograms are walked in the order they were placed (`walked` of them so far): each
        // one's func/line records, in order within it, then land in instruction order, and need no sort.
        var pending: [Int] = []
        var walked = 0
        var next: Int? = entry
        while let p = next ?? (walked < pending.count ? pending[walked] : nil) {
            if next == nil { walked += 1 }
            next = nil
            // The program is read in place (`spec.programs[p]`): a copy would retain each of its arrays.
            let base = p == entry ? 0 : placed[p] ?? 0
            // func_info/line_info come from the records' byte offsets in their section, shifted to where the function sits.
            let shift = base - spec.programs[p].sectionOffset
            spec.programs[p].functionRecords.append(to: &linked.functionInfo) {
                FunctionRecord(instruction: Int($0.instructionOffset) / Instruction.size + shift, typeID: $0.typeID)
            }
            if let (bytes, stride) = spec.programs[p].lineRecords.hostOrderBytes {
                LineRecord.append(bytes, stride: stride, shift: shift, to: &linked.lineInfo)
            } else {
                spec.programs[p].lineRecords.append(to: &linked.lineInfo) {
                    LineRecord(
                        instruction: Int($0.instructionOffset) / Instruction.size + shift,
                        fileNameOffset: $0.fileNameOffset,
                        lineOffset: $0.lineOffset, lineColumn: $0.lineColumn)
                }
            }
            linked.mapLoads.reserve(additional: spec.programs[p].references.count)
            for reference in spec.programs[p].references {
                let at = base + reference.instruction
                switch reference.target {
                case let .map(map):
                    setLoad(&linked, at: at, source: PseudoSource.mapFD, low: Int32(map), high: 0)
                    linked.mapLoads.append(MapLoad(instruction: at, map: map))
                case let .mapValue(map, offset):
                    setLoad(
                        &linked, at: at, source: PseudoSource.mapValue, low: Int32(map), high: Int32(bitPattern: offset)
                    )
                    linked.mapLoads.append(MapLoad(instruction: at, map: map))
                case let .function(section, instruction, callback):
                    let start = try place(
                        spec, section: section, instruction: instruction, from: spec.programs[p].name,
                        at: reference.instruction,
                        entry: entry, linked: &linked, placed: &placed, pending: &pending)
                    if callback {
                        setLoad(&linked, at: at, source: PseudoSource.function, low: Int32(start - at - 1), high: 0)
                    } else {
                        linked.instructions[at].immediate = Int32(start - at - 1)
                    }
                case let .external(symbol):
                    if kconfigMap == nil { kconfigMap = .some(spec.kconfigMapIndex) }
                    if let map = kconfigMap ?? nil,
                        let extern = spec.externIndex.kconfig[symbol].map({ spec.kconfigExterns[Int($0)] }),
                        spec.programs[p].instructions[reference.instruction].isLoadImmediate64
                    {
                        setLoad(
                            &linked, at: at, source: PseudoSource.mapValue, low: Int32(map),
                            high: Int32(bitPattern: extern.offset))
                        linked.mapLoads.append(MapLoad(instruction: at, map: map))
                    } else if spec.externIndex.ksym[symbol] != nil {
                        linked.externUses.append(ExternUse(instruction: at, name: symbol))
                    } else {
                        throw .unresolvedRelocation(
                            program: spec.programs[p].name, instruction: reference.instruction, symbol: symbol,
                            reason: .undefinedSymbol)
                    }
                }
            }
            // Calls and callbacks within one section need no relocation: their immediates are already relative.
            // (One with a relocation was handled above; which ones those are is marked on the first call met.)
            var relocated: [Bool]?
            for (i, insn) in spec.programs[p].instructions.enumerated() where insn.isPseudoCall || insn.isPseudoFunction
            {
                if relocated == nil {
                    var marks = [Bool](filling: spec.programs[p].instructions.count, with: false)
                    for reference in spec.programs[p].references { marks[reference.instruction] = true }
                    relocated = marks
                }
                guard relocated?[i] == false else { continue }
                let target = spec.programs[p].sectionOffset + i + Int(insn.immediate) + 1
                let start = try place(
                    spec, section: spec.programs[p].sectionIndex, instruction: target, from: spec.programs[p].name,
                    at: i,
                    entry: entry, linked: &linked, placed: &placed, pending: &pending)
                linked.instructions[base + i].immediate = Int32(start - (base + i) - 1)
            }
        }
        // Sorted only when a record lies out of order after all (one a hostile object placed so).
        if !linked.subprograms.isEmpty {
            if !isInInstructionOrder(linked.functionInfo, { $0.instruction }) {
                linked.functionInfo.sort { $0.instruction < $1.instruction }
            }
            if !isInInstructionOrder(linked.lineInfo, { $0.instruction }) {
                linked.lineInfo.sort { $0.instruction < $1.instruction }
            }
        }
        return consume linked
    }

    private static func isInInstructionOrder<R>(_ records: [R], _ instruction: (R) -> Int) -> Bool {
        var previous = Int.min
        for record in records {
            let current = instruction(record)
            guard previous <= current else { return false }
            previous = current
        }
        return true
    }

    private static func setLoad(_ linked: inout LinkedProgram, at: Int, source: UInt8, low: Int32, high: Int32) {
        linked.instructions[at].source = source
        linked.instructions[at].immediate = low
        linked.instructions[at + 1].immediate = high
    }

    /// Where the function starting at `instruction` of `section` sits in the linked program, appending it on first use.
    private static func place(
        _ spec: ObjectSpec, section: Int, instruction: Int, from program: String, at index: Int,
        entry: Int, linked: inout LinkedProgram, placed: inout SmallTable<Int, Int>, pending: inout [Int]
    ) throws(ObjectError) -> Int {
        guard let callee = ObjectSpec.program(startingAt: instruction, inSection: section, spec.programs) else {
            throw .invalidInstruction(
                program: program, instruction: index,
                reason: .callTargetNotFunction(
                    instruction: instruction, section: String(spec.elf.sections[section].name)))
        }
        if callee == entry { return 0 }
        if let known = placed[callee] { return known }
        let start = linked.instructions.count
        _ = placed.insert(callee, start)
        linked.instructions += spec.programs[callee].instructions
        linked.subprograms.append(spec.programs[callee].name)
        linked.placements.append((callee, start))
        pending.append(callee)
        return start
    }
}
