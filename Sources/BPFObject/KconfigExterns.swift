import BTF
import ELF64

/// A `__kconfig` extern: where its value sits in the `.kconfig` map and what type it has.
public struct KconfigExtern: Hashable, Sendable {
    public let name: String
    /// The extern's type in the object's BTF.
    public let typeID: TypeID
    public let offset: UInt32
    public let size: UInt32
    /// `__weak`: a missing value reads as zero instead of failing the load.
    public let isWeak: Bool
}

extension ObjectSpec {
    /// The `.kconfig` externs, laid out as libbpf lays them out: by alignment (largest first),
    /// then size, then name. Adds the internal `.kconfig` map when there are any.
    mutating func readKconfigExterns(_ symbols: SymbolTable) throws(ObjectError) {
        guard let btf, let datasec = dataSections[".kconfig"] else { return }
        var entries: [(name: String, type: TypeID, size: Int, align: Int, weak: Bool)] = []
        let undefined = FirstByName(
            symbols.compactMap { $0.section == .undefined ? ($0.name, UInt32($0.binding.rawValue)) : nil })
        var seen: Set<String> = []
        do {
            for variable in try btf.type(datasec).variables {
                let v = try btf.type(variable.type)
                guard v.kind == .variable else { continue }
                let name = try Self.name(v.name, in: ".kconfig")
                guard seen.insert(name).inserted else {
                    throw ObjectError.invalidMap(name: name, section: ".kconfig", reason: .listedTwice)
                }
                if let unsupported = try Self.unsupportedKconfigType(v.referencedType, btf) {
                    throw ObjectError.invalidMap(
                        name: name, section: ".kconfig", reason: .unsupportedExternType(unsupported))
                }
                entries.append(
                    (
                        name, v.referencedType, try btf.size(of: v.referencedType),
                        try btf.alignment(of: v.referencedType),
                        undefined[v.name] == UInt32(SymbolBinding.weak.rawValue)
                    ))
            }
        } catch {
            throw .converting(error)
        }
        guard !entries.isEmpty else { return }
        entries.sort { ($0.align, -$0.size, $1.name) > ($1.align, -$1.size, $0.name) }
        var offset = 0
        for e in entries {
            offset = (offset + e.align - 1) / e.align * e.align
            // The map's value is allocated at this size before the kernel sees it: no more than the
            // kernel takes for an array's value (KMALLOC_MAX_SIZE), whatever sizes the BTF declares.
            guard offset + e.size <= Self.maximumKconfigSize else {
                throw .invalidMap(
                    name: e.name, section: ".kconfig",
                    reason: .externsTooLarge(limit: Self.maximumKconfigSize))
            }
            kconfigExterns.append(
                KconfigExtern(
                    name: e.name, typeID: e.type, offset: UInt32(offset), size: UInt32(e.size), isWeak: e.weak))
            offset += e.size
        }
        var map = MapSpec(
            name: Self.internalMapName(object: name, section: ".kconfig"), type: .array, keySize: 4,
            valueSize: UInt32((offset + 7) / 8 * 8), maxEntries: 1, flags: MapFlag.mmapable | MapFlag.readOnlyProgram,
            origin: .data(section: ".kconfig", readOnly: true), sectionIndex: -1)
        map.valueTypeID = datasec
        maps.append(map)
    }

    /// The largest `.kconfig` map value: the kernel's limit for an array map's value (4 MiB).
    public static let maximumKconfigSize = 1 << 22

    /// The index of the `.kconfig` map, if the object has externs.
    public var kconfigMapIndex: Int? {
        maps.firstIndex {
            if case let .data(section, readOnly: true) = $0.origin { return section == ".kconfig" }
            return false
        }
    }

    /// The bytes of the `.kconfig` map for a kernel: each extern encoded by its BTF type
    /// (bool, tristate char or `enum libbpf_tristate`, integers, char arrays for strings).
    /// A missing strong extern is an error; a missing weak one stays zero. An option the
    /// configuration says `is not set` (its value `n`) is false for a bool and `TRI_NO` for a
    /// tristate enum; for any other type it is missing, as for libbpf, which skips those lines
    /// (an `int` or a string of a disabled option reads 0 when weak).
    public func kconfigValues(_ config: KernelConfig) throws(ObjectError) -> [UInt8] {
        guard let index = kconfigMapIndex, let btf else { return [] }
        try checkMapsForLoad()
        var bytes = [UInt8](repeating: 0, count: Int(maps[index].valueSize))
        for e in kconfigExterns {
            func fail(_ reason: RelocationProblem) -> ObjectError {
                .unresolvedRelocation(program: ".kconfig", instruction: Int(e.offset), symbol: e.name, reason: reason)
            }
            guard let text = config[e.name] else {
                if e.isWeak { continue }
                throw fail(.configMissing)
            }
            let encoded: [UInt8]
            do {
                if text == "n", try !Self.takesNotSet(e.typeID, btf) {
                    if e.isWeak { continue }
                    throw fail(.configMissing)
                }
                encoded = try Self.encode(text, as: e.typeID, size: Int(e.size), btf)
            } catch let error as ObjectError {
                throw error
            } catch let problem
                as RelocationProblem.ConfigValueProblem
            {
                throw fail(.configValue(text, problem))
            } catch {
                throw .converting(error)
            }
            for (i, b) in encoded.prefix(Int(e.size)).enumerated() { bytes[Int(e.offset) + i] = b }
        }
        return bytes
    }

    /// Whether an extern of `type` takes `n` as a value: a bool, or an enum (`enum libbpf_tristate`).
    static func takesNotSet(_ type: TypeID, _ btf: BTF) throws(BTFError) -> Bool {
        let t = try btf.type(try btf.resolve(type))
        switch t.kind {
        case .int: return t.intInfo.encoding.contains(.bool)
        case .enum, .enum64: return true
        default: return false
        }
    }

    /// Why a `__kconfig` extern's type cannot hold a configuration value (libbpf's `find_kcfg_type`):
    /// a bool or char of 1 byte, an integer of 1, 2, 4 or 8 bytes, an enum of 4 or 8 (a tristate),
    /// or an array of 1-byte chars (a string); `nil` when it can.
    static func unsupportedKconfigType(_ type: TypeID, _ btf: BTF) throws(BTFError) -> MapProblem.ExternType? {
        let t = try btf.type(try btf.resolve(type))
        switch t.kind {
        case .int where t.intInfo.encoding.contains(.bool):
            return t.size == 1 ? nil : .bool(bytes: t.size)
        case .int:
            return [1, 2, 4, 8].contains(t.size) ? nil : .integer(bytes: t.size)
        case .enum, .enum64:
            return t.size == 4 || t.size == 8 ? nil : .enumeration(bytes: t.size)
        case .array:
            let element = try btf.type(try btf.resolve(t.arrayInfo.element))
            return element.kind == .int && element.size == 1 && t.arrayInfo.count > 0 ? nil : .arrayOfNonChars
        default:
            return .other(t.kind)
        }
    }

    static func encode(_ text: String, as type: TypeID, size: Int, _ btf: BTF) throws -> [UInt8] {
        let t = try btf.type(try btf.resolve(type))
        func littleOrBig(_ value: UInt64) -> [UInt8] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
            return btf.byteOrder == .little ? bytes : bytes.reversed()
        }
        let tristate: [String: UInt64] = ["n": 0, "y": 1, "m": 2]
        switch t.kind {
        case .int where t.intInfo.encoding.contains(.bool):
            guard text == "y" || text == "n" || text == "m" else { throw RelocationProblem.ConfigValueProblem.notBool }
            return [text == "n" ? 0 : 1]
        case .int where size == 1 && (text == "y" || text == "n" || text == "m"):
            return [UInt8(ascii: text.unicodeScalars.first!)]
        case .int:
            guard let value = parseNumber(text) else { throw RelocationProblem.ConfigValueProblem.notNumber }
            guard (1...8).contains(size) else { throw RelocationProblem.ConfigValueProblem.integerSize(size) }
            if size < 8 {
                let signed = t.intInfo.encoding.contains(.signed)
                let bits = UInt64(size * 8)
                let fits =
                    signed
                    ? (Int64(bitPattern: value) >= -(1 << (bits - 1)) && Int64(bitPattern: value) < (1 << (bits - 1)))
                    : value < (1 << bits)
                guard fits else { throw RelocationProblem.ConfigValueProblem.outOfRange(bytes: size) }
            }
            return littleOrBig(value)
        case .enum, .enum64:
            // enum libbpf_tristate { TRI_NO = 0, TRI_YES = 1, TRI_MODULE = 2 }
            guard let value = tristate[text] else { throw RelocationProblem.ConfigValueProblem.notTristate }
            return littleOrBig(value)
        case .array:
            guard text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 else {
                throw RelocationProblem.ConfigValueProblem.notString
            }
            return Array(text.dropFirst().dropLast().utf8.prefix(max(0, size - 1))) + [0]
        default:
            throw RelocationProblem.ConfigValueProblem.kindHoldsNoValue(t.kind)
        }
    }

    /// Decimal or 0x-hexadecimal, possibly negative, as the kernel configuration writes numbers.
    static func parseNumber(_ text: String) -> UInt64? {
        var digits = Substring(text), negative = false
        if digits.hasPrefix("-") { negative = true; digits = digits.dropFirst() }
        let value =
            digits.hasPrefix("0x") || digits.hasPrefix("0X") ? UInt64(digits.dropFirst(2), radix: 16) : UInt64(digits)
        guard let value else { return nil }
        guard negative else { return value }
        // Down to -2^63: the magnitude of Int64.min does not fit Int64, so negate with wrapping.
        return value <= UInt64(Int64.max) + 1 ? 0 &- value : nil
    }
}

/// The object's externs by name, found once: the linker resolves every reference through it.
struct ExternIndex: Sendable {
    /// Index into ``ObjectSpec/kconfigExterns`` and ``ObjectSpec/ksymExterns``.
    let kconfig: FirstByName<String, UInt32>
    let ksym: FirstByName<String, UInt32>

    init(kconfig: [KconfigExtern] = [], ksym: [KsymExtern] = []) {
        self.kconfig = FirstByName(kconfig.enumerated().map { ($1.name, UInt32($0)) })
        self.ksym = FirstByName(ksym.enumerated().map { ($1.name, UInt32($0)) })
    }
}
