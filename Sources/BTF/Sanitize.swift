/// BTF kinds a kernel may lack (each arrived in a later kernel than BTF itself).
public struct BTFKindSupport: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// FUNC and FUNC_PROTO (5.0).
    @inlinable public static var functions: BTFKindSupport { BTFKindSupport(rawValue: 1 << 0) }
    /// FUNC with global linkage (5.6).
    @inlinable public static var globalFunctions: BTFKindSupport { BTFKindSupport(rawValue: 1 << 1) }
    /// VAR and DATASEC (5.2).
    @inlinable public static var dataSections: BTFKindSupport { BTFKindSupport(rawValue: 1 << 2) }
    /// FLOAT (5.13).
    @inlinable public static var float: BTFKindSupport { BTFKindSupport(rawValue: 1 << 3) }
    /// DECL_TAG (5.16).
    @inlinable public static var declTag: BTFKindSupport { BTFKindSupport(rawValue: 1 << 4) }
    /// TYPE_TAG (5.17).
    @inlinable public static var typeTag: BTFKindSupport { BTFKindSupport(rawValue: 1 << 5) }
    /// ENUM64 (6.0).
    @inlinable public static var enum64: BTFKindSupport { BTFKindSupport(rawValue: 1 << 6) }

    public static let all: BTFKindSupport = [
        .functions, .globalFunctions, .dataSections, .float, .declTag, .typeTag, .enum64,
    ]
}

extension BTFBuilder {
    /// Rewrites kinds the kernel lacks into ones it knows, keeping every type id and size,
    /// as libbpf does: VAR → INT, DATASEC → STRUCT, FUNC_PROTO → ENUM, FUNC → TYPEDEF,
    /// global FUNC → static, FLOAT → empty STRUCT of its size, DECL_TAG → INT,
    /// TYPE_TAG → CONST, ENUM64 → empty UNION of its size.
    public mutating func sanitize(for supported: BTFKindSupport) {
        for index in types.indices {
            var t = types[index]
            switch t.kind {
            case .variable where !supported.contains(.dataSections), .declTag where !supported.contains(.declTag):
                t = TypeRecord(kind: .int, name: t.name, sizeOrType: 1, trailing: [.value(8)])
            case .dataSection where !supported.contains(.dataSections):
                // Members named after the variables (dots are not valid in member names), at bit offsets.
                var members: [TypeRecord.Word] = []
                var i = 0
                while i + 2 < t.trailing.count {
                    if case let .value(type) = t.trailing[i], case let .value(offset) = t.trailing[i + 1] {
                        let name = type >= 1 && Int(type) <= types.count ? types[Int(type) - 1].name : ""
                        members += [
                            .name(String(name.map { $0 == "." ? "_" : $0 })), .value(type), .value(offset &* 8),
                        ]
                    }
                    i += 3
                }
                t = TypeRecord(
                    kind: .struct, name: String(t.name.map { $0 == "." ? "_" : $0 }), vlen: t.vlen,
                    sizeOrType: t.sizeOrType, trailing: members)
            case .functionProto where !supported.contains(.functions):
                let values = stride(from: 0, to: t.trailing.count, by: 2).map { t.trailing[$0] }
                t = TypeRecord(
                    kind: .enum, name: t.name, vlen: t.vlen, sizeOrType: 4,
                    trailing: values.flatMap { [$0, .value(0)] })
            case .function where !supported.contains(.functions):
                t = TypeRecord(kind: .typedef, name: t.name, sizeOrType: t.sizeOrType)
            case .function where !supported.contains(.globalFunctions) && t.vlen == Linkage.global.rawValue:
                t.vlen = UInt16(Linkage.static.rawValue)
            case .float where !supported.contains(.float):
                t = TypeRecord(kind: .struct, name: t.name, sizeOrType: t.sizeOrType)
            case .typeTag where !supported.contains(.typeTag):
                t = TypeRecord(kind: .const, sizeOrType: t.sizeOrType)
            case .enum64 where !supported.contains(.enum64):
                t = TypeRecord(kind: .union, name: t.name, sizeOrType: t.sizeOrType)
            default:
                continue
            }
            types[index] = t
        }
    }
}
