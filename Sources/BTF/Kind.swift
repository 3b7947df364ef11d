/// A BTF type id. 0 is `void`; ids of split BTF continue after its base's.
public typealias TypeID = UInt32

/// `BTF_KIND_*`.
public enum Kind: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case int = 1, pointer, array, `struct`, union, `enum`, forward, typedef, volatile, const, restrict
    case function, functionProto, variable, dataSection, float, declTag, typeTag, enum64

    /// The upper-case name bpftool prints (`INT`, `FUNC_PROTO`, …).
    public var description: String {
        switch self {
        case .int: "INT"
        case .pointer: "PTR"
        case .array: "ARRAY"
        case .struct: "STRUCT"
        case .union: "UNION"
        case .enum: "ENUM"
        case .forward: "FWD"
        case .typedef: "TYPEDEF"
        case .volatile: "VOLATILE"
        case .const: "CONST"
        case .restrict: "RESTRICT"
        case .function: "FUNC"
        case .functionProto: "FUNC_PROTO"
        case .variable: "VAR"
        case .dataSection: "DATASEC"
        case .float: "FLOAT"
        case .declTag: "DECL_TAG"
        case .typeTag: "TYPE_TAG"
        case .enum64: "ENUM64"
        }
    }

    /// Bytes that follow the 12-byte common header for a type with `vlen` entries.
    @inlinable
    func trailingSize(vlen: Int) -> Int {
        switch self {
        case .int, .variable, .declTag: 4
        case .array: 12
        case .struct, .union, .dataSection, .enum64: 12 * vlen
        case .enum, .functionProto: 8 * vlen
        default: 0
        }
    }

    /// Whether the third header word is a size (rather than a type id).
    public var hasSize: Bool {
        switch self {
        case .int, .struct, .union, .enum, .dataSection, .float, .enum64: true
        default: false
        }
    }

    /// Whether the kind refers to another type through its third header word.
    public var hasTypeReference: Bool {
        switch self {
        case .pointer, .typedef, .volatile, .const, .restrict, .function, .functionProto, .variable, .declTag, .typeTag: true
        default: false
        }
    }
}

/// `BTF_INT_*` encoding bits of an INT.
public struct IntEncoding: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let signed = IntEncoding(rawValue: 1)
    public static let char = IntEncoding(rawValue: 2)
    public static let bool = IntEncoding(rawValue: 4)
}

/// Linkage of a FUNC (`BTF_FUNC_*`) or VAR (`BTF_VAR_*`).
public enum Linkage: UInt32, Sendable, Hashable {
    case `static` = 0
    case global = 1
    case external = 2

    /// The word bpftool prints.
    public var description: String {
        switch self {
        case .static: "static"
        case .global: "global"
        case .external: "extern"
        }
    }
}
