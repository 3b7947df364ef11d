import BPF
import BPFObject
import BTF
import ELF64

/// `prog dump xlated ID | --pinned PATH`: the kernel's translated instructions, laid out as
/// `bpftool prog dump xlated` lays them out (function signatures and source lines from the
/// program's BTF, helpers and subprograms named through kallsyms), with map names added.
enum ProgDump {
    static func run(_ args: Arguments, help: String) throws {
        guard args.positionals.count >= 2, args.positionals[1] == "xlated" else {
            throw UsageError(message: "expected 'dump xlated ID' or 'dump xlated --pinned PATH'", help: help)
        }
        let fd = try args.with(positionals: ["dump xlated"] + args.positionals.dropFirst(2)).openObject(
            .program, help: help)
        let program = try TranslatedProgram(of: fd)
        var btf: BTF?
        if program.btfID != 0, let btfFD = try? KernelObjectIDs.open(.btf, id: program.btfID),
            let object = try? KernelBTFObject(of: btfFD)
        {
            btf = try? BTF(ByteStorage(copying: object.bytes))
        }
        var out = BufferedStandardOutput()
        defer { out.flush() }
        let (symbols, callBase) = kernelSymbols(program)
        for line in lines(program, btf: btf, symbols: symbols, callBase: callBase, mapNames: mapNames(program)) {
            print(line, to: &out)
        }
    }

    /// The lines `bpftool prog dump xlated` would print, map names appended as `// name`.
    static func lines(
        _ program: TranslatedProgram, btf: BTF?, symbols: [UInt64: String], callBase: UInt64?,
        mapNames: [UInt32: String]
    ) -> [String] {
        let functions = Dictionary(
            program.functionInfo.map { ($0.instruction, $0.typeID) }, uniquingKeysWith: { first, _ in first })
        var lineRecords = program.lineInfo[...]
        let disassembler = Disassembler()
        var out: [String] = []
        var i = 0
        let insns = program.instructions
        while i < insns.count {
            if let btf, let typeID = functions[i], let signature = try? signature(btf, function: typeID) {
                out.append(signature + ":")
            }
            while let record = lineRecords.first, record.instruction <= i {
                lineRecords = lineRecords.dropFirst()
                guard record.instruction == i, let btf, let text = try? btf.string(at: record.lineOffset) else {
                    continue
                }
                out.append("; " + String(text).drop { $0 == " " || $0 == "\t" })
            }
            let insn = insns[i]
            let opcode = String(insn.opcode, radix: 16)
            var line =
                "\(String(repeating: " ", count: max(0, 4 - String(i).count)))\(i): (\(opcode.count < 2 ? "0" + opcode : opcode)) "
            if insn.isLoadImmediate64, i + 1 < insns.count {
                let high = insns[i + 1].immediate
                switch insn.source {
                case PseudoSource.mapFD:
                    line += "r\(insn.destination) = map[id:\(UInt32(bitPattern: insn.immediate))]"
                case PseudoSource.mapValue:
                    line +=
                        "r\(insn.destination) = map[id:\(UInt32(bitPattern: insn.immediate))][0]+\(UInt32(bitPattern: high))"
                default:
                    line += disassembler.text(load: insn, high: high, at: i)
                }
                if insn.source == PseudoSource.mapFD || insn.source == PseudoSource.mapValue,
                    let name = mapNames[UInt32(bitPattern: insn.immediate)]
                {
                    line += "  // \(name)"
                }
                i += 2
            } else if insn.isCall, insn.source == 0, let callBase {
                let address = callBase &+ UInt64(bitPattern: Int64(insn.immediate))
                line += "call \(symbols[address] ?? "unknown")#\(insn.immediate)"
                i += 1
            } else if insn.isPseudoCall {
                // After the JIT the kernel keeps the pc-relative target in `off` and the function's index in `imm`.
                let function = Int(insn.immediate)
                let name =
                    function >= 0 && function < program.functionAddresses.count
                    ? symbols[program.functionAddresses[function]] : nil
                line += "call pc\(insn.offset < 0 ? "" : "+")\(insn.offset)" + (name.map { "#" + $0 } ?? "")
                i += 1
            } else {
                line += disassembler.text(insn)
                i += 1
            }
            out.append(line)
        }
        return out
    }

    /// A function's signature as bpftool prints it: `int count_packets(struct __sk_buff * skb)`.
    static func signature(_ btf: BTF, function id: TypeID) throws -> String {
        let function = try btf.type(id)
        guard function.kind == .function else { return "" }
        let proto = try btf.type(function.referencedType)
        var text = try typeOnly(btf, proto.referencedType, depth: 0) + String(function.name) + "("
        for (i, parameter) in proto.parameters.enumerated() {
            if i > 0 { text += ", " }
            if parameter.type == 0 { text += "..."; continue }
            text += try typeOnly(btf, parameter.type, depth: 0)
            if parameter.name.isEmpty {
                if text.hasSuffix(" ") { text.removeLast() }
            } else {
                text += String(parameter.name)
            }
        }
        return text + ")"
    }

    /// bpftool's type-only spelling: each part followed by a space (`struct sk_buff * `, `const char * `).
    static func typeOnly(_ btf: BTF, _ id: TypeID, depth: Int) throws -> String {
        guard id != 0 else { return "void " }
        guard depth < BTF.maximumDepth else { throw BTFError(.referenceLoop(id), typeID: id) }
        let t = try btf.type(id)
        let name = String(t.name)
        switch t.kind {
        case .int, .float, .typedef: return name + " "
        case .struct: return "struct \(name) "
        case .union: return "union \(name) "
        case .enum, .enum64: return "enum \(name) "
        case .forward: return (t.kindFlag ? "union " : "struct ") + name + " "
        case .volatile: return try "volatile " + typeOnly(btf, t.referencedType, depth: depth + 1)
        case .const: return try "const " + typeOnly(btf, t.referencedType, depth: depth + 1)
        case .restrict: return try "restrict " + typeOnly(btf, t.referencedType, depth: depth + 1)
        case .typeTag: return try typeOnly(btf, t.referencedType, depth: depth + 1)
        case .pointer: return try typeOnly(btf, t.referencedType, depth: depth + 1) + "* "
        case .array: return try typeOnly(btf, t.arrayInfo.element, depth: depth + 1) + "[\(t.arrayInfo.count)]"
        default: return ""
        }
    }

    /// kallsyms names of the helpers called and the program's functions (empty where kallsyms is unreadable).
    static func kernelSymbols(_ program: TranslatedProgram) -> (names: [UInt64: String], callBase: UInt64?) {
        guard let storage = try? ByteStorage(contentsOfFile: "/proc/kallsyms") else { return ([:], nil) }
        let text = storage.text
        guard let base = KernelSymbols.address(of: "__bpf_call_base", in: text) else { return ([:], nil) }
        var wanted = Set(program.functionAddresses)
        for insn in program.instructions where insn.isCall && insn.source == 0 {
            wanted.insert(base &+ UInt64(bitPattern: Int64(insn.immediate)))
        }
        return (KernelSymbols.names(in: text, at: wanted), base)
    }

    /// The names of the maps the program refers to, by id.
    static func mapNames(_ program: TranslatedProgram) -> [UInt32: String] {
        var names: [UInt32: String] = [:]
        for insn in program.instructions
        where insn.isLoadImmediate64
            && (insn.source == PseudoSource.mapFD || insn.source == PseudoSource.mapValue)
        {
            let id = UInt32(bitPattern: insn.immediate)
            guard names[id] == nil, let fd = try? KernelObjectIDs.open(.map, id: id), let info = try? MapInfo(of: fd)
            else { continue }
            names[id] = info.name
        }
        return names
    }
}
