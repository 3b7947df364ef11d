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

    /// The byte size of a whole type record (header and trailing records) from its `info` word,
    /// or `nil` for an unknown kind. Branch-free: kinds arrive in no predictable order, and a
    /// switch here costs a mispredicted indirect jump per type when indexing vmlinux.
    @inline(__always)
    static func recordSize(info: UInt32) -> Int? {
        let k = UInt64((info >> 24) & 0x1f)
        guard (knownKinds >> k) & 1 == 1 else { return nil }
        let fixed = Int((fixedWords >> (2 * k)) & 3) * 4
        let perEntry = Int((entryWords >> (2 * k)) & 3) * 4
        return 12 + fixed + perEntry * Int(info & 0xffff)
    }

    /// Bit k set for each known kind k (1…19).
    static let knownKinds: UInt64 = 0xf_fffe
    /// 2 bits per kind: fixed trailing bytes / 4 (INT, VAR, DECL_TAG: 1; ARRAY: 3).
    static let fixedWords: UInt64 = 0x4_1000_00c4
    /// 2 bits per kind: bytes per vlen entry / 4 (STRUCT, UNION, DATASEC, ENUM64: 3; ENUM, FUNC_PROTO: 2).
    static let entryWords: UInt64 = 0xc0_c800_2f00

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
        case .pointer, .typedef, .volatile, .const, .restrict, .function, .functionProto, .variable, .declTag, .typeTag:
            true
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
