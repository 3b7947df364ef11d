/// `STB_*`: a symbol's binding.
public struct SymbolBinding: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    @inlinable public static var local: SymbolBinding { SymbolBinding(rawValue: 0) }
    @inlinable public static var global: SymbolBinding { SymbolBinding(rawValue: 1) }
    @inlinable public static var weak: SymbolBinding { SymbolBinding(rawValue: 2) }
    public var description: String {
        switch self {
        case .local: "LOCAL"
        case .global: "GLOBAL"
        case .weak: "WEAK"
        default: "\(rawValue)"
        }
    }
}

/// `STT_*`: what a symbol names.
public struct SymbolType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    @inlinable public static var notype: SymbolType { SymbolType(rawValue: 0) }
    @inlinable public static var object: SymbolType { SymbolType(rawValue: 1) }
    @inlinable public static var function: SymbolType { SymbolType(rawValue: 2) }
    @inlinable public static var section: SymbolType { SymbolType(rawValue: 3) }
    @inlinable public static var file: SymbolType { SymbolType(rawValue: 4) }
    @inlinable public static var common: SymbolType { SymbolType(rawValue: 5) }
    @inlinable public static var tls: SymbolType { SymbolType(rawValue: 6) }
    public var description: String {
        switch self {
        case .notype: "NOTYPE"
        case .object: "OBJECT"
        case .function: "FUNC"
        case .section: "SECTION"
        case .file: "FILE"
        case .common: "COMMON"
        case .tls: "TLS"
        default: "\(rawValue)"
        }
    }
}

/// `STV_*`: a symbol's visibility.
public struct SymbolVisibility: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    @inlinable public static var `default`: SymbolVisibility { SymbolVisibility(rawValue: 0) }
    @inlinable public static var `internal`: SymbolVisibility { SymbolVisibility(rawValue: 1) }
    @inlinable public static var hidden: SymbolVisibility { SymbolVisibility(rawValue: 2) }
    @inlinable public static var protected: SymbolVisibility { SymbolVisibility(rawValue: 3) }
    public var description: String { ["DEFAULT", "INTERNAL", "HIDDEN", "PROTECTED"][Int(rawValue & 3)] }
}

/// Where a symbol is defined: `st_shndx`, with `SHN_XINDEX` already resolved.
public enum SymbolSection: Hashable, Sendable, CustomStringConvertible {
    case undefined
    case absolute
    case common
    /// A section index, known to be inside the file's section table.
    case index(Int)
    /// Another reserved value in `SHN_LORESERVE...SHN_HIRESERVE`.
    case reserved(UInt16)

    /// The section index, if the symbol is defined in a section.
    public var sectionIndex: Int? {
        if case let .index(i) = self { return i }
        return nil
    }

    /// As `llvm-readelf -s` prints the `Ndx` column.
    public var description: String {
        switch self {
        case .undefined: "UND"
        case .absolute: "ABS"
        case .common: "COM"
        case let .index(i): "\(i)"
        case let .reserved(v): "0x" + String(v, radix: 16)
        }
    }
}

/// One `Elf64_Sym`.
public struct Symbol: @unchecked Sendable {
    /// The symbol's index in its table.
    public let index: Int
    /// `st_name`: where the name starts in the linked string table (checked when the table was taken).
    public let nameOffset: UInt32
    /// The string table the name is in (a view of the file).
    let strings: UnsafeRawBufferPointer
    /// The name, found in the string table when asked (walks over a symbol table mostly look
    /// at sections and types, and need no names).
    public var name: ByteString { ByteString(in: strings, at: UInt64(nameOffset)) ?? .empty }
    /// Whether the name exceeds ``ByteString/maximumLength`` (it then reads as empty; readers that
    /// skip unnamed symbols ask this so as to refuse it instead).
    public var nameIsTooLong: Bool {
        Int(nameOffset) < strings.count && strings[Int(nameOffset)] != 0 && name.isEmpty
    }
    public let binding: SymbolBinding
    public let type: SymbolType
    public let visibility: SymbolVisibility
    public let section: SymbolSection
    public let value: UInt64
    public let size: UInt64

    public static let entrySize = 24
}
