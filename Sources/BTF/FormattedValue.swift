import ELF64

/// A value decoded through BTF as bpftool prints it: program metadata, map keys and values.
public indirect enum FormattedValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case signed(Int64)
    case unsigned(UInt64)
    case bool(Bool)
    case enumerator(String)
    case array([FormattedValue])
    case structure([Field])

    public struct Field: Sendable, Equatable {
        public let name: String
        public let value: FormattedValue
    }

    /// bpftool's plain-text form: strings quoted, numbers in decimal, `true`/`false`.
    public var description: String {
        switch self {
        case let .string(s): "\"\(s)\""
        case let .signed(v): "\(v)"
        case let .unsigned(v): "\(v)"
        case let .bool(b): b ? "true" : "false"
        case let .enumerator(name): "\"\(name)\""
        case let .array(items): "[" + items.map(\.description).joined(separator: ",") + "]"
        case let .structure(fields): "{" + fields.map { "\"\($0.name)\":\($0.value)" }.joined(separator: ",") + "}"
        }
    }
}

extension BTF {
    /// `bytes`, a value of type `id` of this BTF, decoded as bpftool's BTF dumper prints it:
    /// integers, booleans, enumerator names, character arrays as strings, structs and unions
    /// by member, and a DATASEC as `{"section": [{"variable": value}, ...]}`.
    ///
    /// Unions are printed member by member, so nested unions multiply what one byte shows; the
    /// values decoded are bounded by the bytes given (4096 + 64 per byte), past which the answer
    /// is an `outputTooLarge` error rather than an exponential walk.
    public func formattedValue(_ bytes: [UInt8], type id: TypeID) throws(BTFError) -> FormattedValue {
        var budget = 4096 + 64 * bytes.count
        return try decode(bytes, type: id, depth: 0, budget: &budget)
    }

    private func decode(
        _ bytes: [UInt8], type id: TypeID, depth: Int, budget: inout Int
    ) throws(BTFError) -> FormattedValue {
        guard depth < 16 else { throw BTFError(.referenceLoop(id)) }
        budget -= 1
        guard budget >= 0 else { throw Self.overBudget(id, bytes: bytes.count) }
        let t = try type(try resolve(id))
        switch t.kind {
        case .int:
            let (encoding, _, _) = t.intInfo
            if encoding.contains(.bool) { return .bool(bytes.contains { $0 != 0 }) }
            return Self.integer(Self.word(bytes), bits: 8 * bytes.count, signed: encoding.contains(.signed))
        case .enum, .enum64:
            let raw = Self.word(bytes)
            let mask: UInt64 = bytes.count >= 8 ? .max : (1 << (8 * UInt64(bytes.count))) - 1
            if let e = t.enumerators.first(where: { $0.value & mask == raw }) { return .enumerator(String(e.name)) }
            return .unsigned(raw)
        case .array:
            let element = try type(try resolve(t.arrayInfo.element))
            let size = try size(of: t.arrayInfo.element)
            if element.kind == .int, size == 1 {
                return .string(String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self))
            }
            guard size > 0 else { return .array([]) }
            var items: [FormattedValue] = []
            for start in stride(from: 0, to: bytes.count - size + 1, by: size) {
                items.append(
                    try decode(
                        Array(bytes[start..<start + size]), type: t.arrayInfo.element, depth: depth + 1, budget: &budget
                    ))
            }
            return .array(items)
        case .struct, .union:
            var fields: [FormattedValue.Field] = []
            for m in t.members {
                if m.bitfieldSize > 0 {
                    // A bitfield: its bits, read from the bytes that hold them (host order).
                    let first = Int(m.bitOffset / 8), shift = Int(m.bitOffset % 8), width = Int(m.bitfieldSize)
                    let last = (Int(m.bitOffset) + width - 1) / 8
                    guard last < bytes.count, last - first < 8 else { continue }
                    let raw =
                        Self.word(Array(bytes[first...last])) >> UInt64(shift)
                        & (width >= 64 ? .max : (1 << UInt64(width)) - 1)
                    let member = try type(try resolve(m.type))
                    fields.append(
                        .init(
                            name: String(m.name),
                            value: Self.integer(
                                raw, bits: width, signed: member.kind == .int && member.intInfo.0.contains(.signed))))
                    budget -= 1
                    guard budget >= 0 else { throw Self.overBudget(id, bytes: bytes.count) }
                    continue
                }
                let start = Int(m.bitOffset / 8), size = try size(of: m.type)
                guard start + size <= bytes.count else { continue }
                fields.append(
                    .init(
                        name: String(m.name),
                        value: try decode(
                            Array(bytes[start..<start + size]), type: m.type, depth: depth + 1, budget: &budget)))
            }
            return .structure(fields)
        case .dataSection:
            var variables: [FormattedValue] = []
            for entry in t.variables {
                let v = try type(entry.type)
                let start = Int(entry.offset), end = start + Int(entry.size)
                guard v.kind == .variable, end <= bytes.count else { continue }
                variables.append(
                    .structure([
                        .init(
                            name: String(v.name),
                            value: try decode(
                                Array(bytes[start..<end]), type: v.referencedType, depth: depth + 1, budget: &budget))
                    ]))
            }
            return .structure([.init(name: String(t.name), value: .array(variables))])
        default:
            return .unsigned(Self.word(bytes))
        }
    }

    /// The error of a formatting past its budget (one place builds it).
    @inline(never)
    static func overBudget(_ id: TypeID, bytes: Int) -> BTFError {
        BTFError(.outputTooLarge(limit: 4096 + 64 * bytes), typeID: id)
    }

    /// An integer of `bits` bits held in the low bits of `raw`.
    static func integer(_ raw: UInt64, bits: Int, signed: Bool) -> FormattedValue {
        guard signed else { return .unsigned(raw) }
        guard bits > 0, bits < 64 else { return .signed(Int64(bitPattern: raw)) }
        let shift = UInt64(64 - bits)
        return .signed(Int64(bitPattern: raw << shift) >> Int64(shift))
    }

    /// Up to 8 bytes as an unsigned integer in host order.
    static func word(_ bytes: [UInt8]) -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in bytes.prefix(8).enumerated() {
            v |= UInt64(b) << (8 * UInt64(ByteOrder.host == .little ? i : bytes.count - 1 - i))
        }
        return v
    }
}
