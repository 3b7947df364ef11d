import BTF
import ELF64

/// A `__ksym` extern: a kernel function (kfunc) or a kernel variable, typed or typeless.
public struct KsymExtern: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// A kernel function called from BPF (`BPF_PSEUDO_KFUNC_CALL`).
        case function
        /// A variable with a BTF type (`BPF_PSEUDO_BTF_ID`).
        case typedVariable
        /// `extern const void sym __ksym`: only its address, from /proc/kallsyms.
        case typelessVariable
    }

    public let name: String
    public let kind: Kind
    public let isWeak: Bool
}

/// How a `__ksym` extern resolves on a kernel.
public enum KsymValue: Hashable, Sendable {
    /// A BTF id in the kernel BTF at `btfIndex` of the targets (0: vmlinux, else a module).
    case btf(id: TypeID, btfIndex: Int)
    /// An address from /proc/kallsyms.
    case address(UInt64)
    /// A weak extern the kernel lacks: zero (or, for a call, a poisoned instruction).
    case missing
}

/// The symbols of `/proc/kallsyms`: `ADDRESS TYPE NAME [module]` lines.
public struct KernelSymbols: Sendable {
    private var addresses: [String: UInt64] = [:]

    public init(text: String) {
        Self.forEachSymbol(in: text) { address, name in
            if addresses[name] == nil { addresses[name] = address }
            return true
        }
    }

    /// The address of the first symbol named `name` in kallsyms `text`, reading no further.
    public static func address(of name: String, in text: String) -> UInt64? {
        var found: UInt64?
        forEachSymbol(in: text) { address, symbol in
            if symbol == name { found = address }
            return found == nil
        }
        return found.flatMap { $0 == 0 ? nil : $0 }
    }

    /// The names of the symbols at the `wanted` addresses in kallsyms `text` (several symbols
    /// may share a name, such as one subprogram in several BPF programs).
    public static func names(in text: String, at wanted: Set<UInt64>) -> [UInt64: String] {
        var found: [UInt64: String] = [:]
        forEachSymbol(in: text) { address, name in
            if address != 0, wanted.contains(address), found[address] == nil { found[address] = name }
            return true
        }
        return found
    }

    /// Calls `body` with each line's address and name while it returns true.
    private static func forEachSymbol(in text: String, _ body: (UInt64, String) -> Bool) {
        var rest = text.utf8[...]
        while !rest.isEmpty {
            let end = rest.firstIndex(of: UInt8(ascii: "\n")) ?? rest.endIndex
            let line = rest[..<end]
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
            let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 3, omittingEmptySubsequences: true)
            guard fields.count >= 3, let address = UInt64(String(decoding: fields[0], as: UTF8.self), radix: 16) else {
                continue
            }
            guard body(address, String(decoding: fields[2].prefix { $0 != UInt8(ascii: "\t") }, as: UTF8.self)) else {
                return
            }
        }
    }

    /// The address of `name`; `nil` when absent (or hidden as 0 from an unprivileged reader).
    public func address(of name: String) -> UInt64? {
        addresses[name].flatMap { $0 == 0 ? nil : $0 }
    }
}

/// An instruction that uses a `__ksym` extern, left for the loader to fill.
public struct ExternUse: Hashable, Sendable {
    public let instruction: Int
    public let name: String
}

extension ObjectSpec {
    /// The `.ksyms` externs named by the object's BTF.
    mutating func readKsymExterns(_ symbols: SymbolTable) throws(ObjectError) {
        guard let btf, let datasec = dataSections[".ksyms"] else { return }
        let undefined = FirstByName(
            symbols.compactMap { $0.section == .undefined ? ($0.name, UInt32($0.binding.rawValue)) : nil })
        var seen: Set<String> = []
        do {
            for entry in try btf.type(datasec).variables {
                let t = try btf.type(entry.type)
                let name = try Self.name(t.name, in: ".ksyms")
                // Each extern is resolved once against the kernel: a name listed twice would be looked up twice.
                guard seen.insert(name).inserted else {
                    throw ObjectError.invalidMap(name: name, section: ".ksyms", reason: .listedTwice)
                }
                let weak = undefined[t.name] == UInt32(SymbolBinding.weak.rawValue)
                switch t.kind {
                case .function: ksymExterns.append(KsymExtern(name: name, kind: .function, isWeak: weak))
                case .variable:
                    let typeless = try btf.resolve(t.referencedType) == 0
                    ksymExterns.append(
                        KsymExtern(name: name, kind: typeless ? .typelessVariable : .typedVariable, isWeak: weak))
                default: continue
                }
            }
        } catch {
            throw .converting(error)
        }
    }

    /// Resolves every `__ksym` extern against kernel BTF (`targets[0]` vmlinux, then modules) and,
    /// for typeless variables, kallsyms. A missing strong extern is an error naming it.
    public func ksymValues(targets: [BTF], kallsyms: KernelSymbols?) throws(ObjectError) -> [String: KsymValue] {
        var values: [String: KsymValue] = [:]
        for extern in ksymExterns {
            var found: KsymValue?
            switch extern.kind {
            case .function, .typedVariable:
                let kind: Kind = extern.kind == .function ? .function : .variable
                for (index, btf) in targets.enumerated() {
                    if let id = btf.typeIDs(named: extern.name, kind: kind).first(where: {
                        btf.base == nil || $0 >= btf.firstID
                    }) {
                        found = .btf(id: id, btfIndex: index)
                        break
                    }
                }
            case .typelessVariable:
                found = kallsyms?.address(of: extern.name).map { .address($0) }
            }
            if let found {
                values[extern.name] = found
            } else if extern.isWeak {
                values[extern.name] = .missing
            } else {
                throw .unresolvedRelocation(
                    program: ".ksyms", instruction: 0, symbol: extern.name,
                    reason: .ksymMissing(
                        function: extern.kind == .function, inKallsyms: extern.kind == .typelessVariable))
            }
        }
        return values
    }
}

extension LinkedProgram {
    /// Puts module BTF `moduleBTF`'s descriptor in the `ld_imm64` of each of its typed variables.
    public mutating func setModuleBTFDescriptor(_ fd: Int32, forModule moduleBTF: Int) {
        for load in moduleVariableLoads where load.moduleBTF == moduleBTF {
            instructions[load.instruction + 1].immediate = fd
        }
    }

    /// The `fd_array` slot of module BTF `btfIndex` for this program (0 for vmlinux), allocated on first use.
    mutating func fdArraySlot(of btfIndex: Int, instruction: Int, symbol: String) throws(ObjectError) -> Int16 {
        guard btfIndex != 0 else { return 0 }
        if let known = moduleBTFs.firstIndex(of: btfIndex) { return Int16(known + 1) }
        guard moduleBTFs.count < Int(Int16.max) - 1 else {
            throw .unresolvedRelocation(
                program: name, instruction: instruction, symbol: symbol, reason: .tooManyModules)
        }
        moduleBTFs.append(btfIndex)
        return Int16(moduleBTFs.count)
    }

    /// Fills the instructions that use `__ksym` externs: kfunc calls get the function's BTF id
    /// (`BPF_PSEUDO_KFUNC_CALL`, a module's through its ``moduleBTFs`` slot), typed variables
    /// their BTF id (`BPF_PSEUDO_BTF_ID`), typeless ones their address; missing weak externs
    /// load 0, and calls to them are poisoned.
    public mutating func apply(ksyms values: [String: KsymValue]) throws(ObjectError) {
        for use in externUses {
            guard let value = values[use.name] else {
                throw .unresolvedRelocation(
                    program: name, instruction: use.instruction, symbol: use.name, reason: .externNotResolved)
            }
            let i = use.instruction
            if instructions[i].isCall {
                switch value {
                case let .btf(id, btfIndex):
                    instructions[i].source = PseudoSource.kfuncCall
                    instructions[i].immediate = Int32(bitPattern: id)
                    instructions[i].offset = try fdArraySlot(of: btfIndex, instruction: i, symbol: use.name)
                case .missing, .address:
                    instructions[i] = Instruction(opcode: 0x85, immediate: CORE.poisonHelper)
                }
            } else {
                switch value {
                case let .btf(id, btfIndex):
                    instructions[i].source = PseudoSource.btfID
                    instructions[i].immediate = Int32(bitPattern: id)
                    instructions[i + 1].immediate = 0  // vmlinux; a module's BTF fd once the loader has it
                    if btfIndex != 0 { moduleVariableLoads.append((i, btfIndex)) }
                case let .address(address):
                    instructions[i].source = 0
                    instructions[i].immediate = Int32(bitPattern: UInt32(truncatingIfNeeded: address))
                    instructions[i + 1].immediate = Int32(bitPattern: UInt32(truncatingIfNeeded: address >> 32))
                case .missing:
                    instructions[i].source = 0
                    instructions[i].immediate = 0
                    instructions[i + 1].immediate = 0
                }
            }
        }
    }
}
