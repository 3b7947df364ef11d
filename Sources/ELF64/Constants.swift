/// `sh_type`: what a section holds.
public struct SectionType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    @inlinable public static var null: SectionType { SectionType(rawValue: 0) }
    @inlinable public static var progbits: SectionType { SectionType(rawValue: 1) }
    @inlinable public static var symtab: SectionType { SectionType(rawValue: 2) }
    @inlinable public static var strtab: SectionType { SectionType(rawValue: 3) }
    @inlinable public static var rela: SectionType { SectionType(rawValue: 4) }
    @inlinable public static var hash: SectionType { SectionType(rawValue: 5) }
    @inlinable public static var dynamic: SectionType { SectionType(rawValue: 6) }
    @inlinable public static var note: SectionType { SectionType(rawValue: 7) }
    @inlinable public static var nobits: SectionType { SectionType(rawValue: 8) }
    @inlinable public static var rel: SectionType { SectionType(rawValue: 9) }
    @inlinable public static var dynsym: SectionType { SectionType(rawValue: 11) }
    @inlinable public static var initArray: SectionType { SectionType(rawValue: 14) }
    @inlinable public static var finiArray: SectionType { SectionType(rawValue: 15) }
    @inlinable public static var preinitArray: SectionType { SectionType(rawValue: 16) }
    @inlinable public static var group: SectionType { SectionType(rawValue: 17) }
    @inlinable public static var symtabShndx: SectionType { SectionType(rawValue: 18) }
    @inlinable public static var llvmAddrsig: SectionType { SectionType(rawValue: 0x6fff_4c03) }
    @inlinable public static var gnuHash: SectionType { SectionType(rawValue: 0x6fff_fff6) }
    @inlinable public static var gnuVersym: SectionType { SectionType(rawValue: 0x6fff_ffff) }
    @inlinable public static var gnuVerneed: SectionType { SectionType(rawValue: 0x6fff_fffe) }

    /// The name `llvm-readelf` prints for this type.
    public var description: String {
        switch self {
        case .null: "NULL"
        case .progbits: "PROGBITS"
        case .symtab: "SYMTAB"
        case .strtab: "STRTAB"
        case .rela: "RELA"
        case .hash: "HASH"
        case .dynamic: "DYNAMIC"
        case .note: "NOTE"
        case .nobits: "NOBITS"
        case .rel: "REL"
        case .dynsym: "DYNSYM"
        case .initArray: "INIT_ARRAY"
        case .finiArray: "FINI_ARRAY"
        case .preinitArray: "PREINIT_ARRAY"
        case .group: "GROUP"
        case .symtabShndx: "SYMTAB SECTION INDICES"
        case .llvmAddrsig: "LLVM_ADDRSIG"
        case .gnuHash: "GNU_HASH"
        case .gnuVersym: "VERSYM"
        case .gnuVerneed: "VERNEED"
        default: "0x" + String(rawValue, radix: 16)
        }
    }
}

/// `sh_flags`.
public struct SectionFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    @inlinable public static var write: SectionFlags { SectionFlags(rawValue: 0x1) }
    @inlinable public static var alloc: SectionFlags { SectionFlags(rawValue: 0x2) }
    @inlinable public static var execInstr: SectionFlags { SectionFlags(rawValue: 0x4) }
    @inlinable public static var merge: SectionFlags { SectionFlags(rawValue: 0x10) }
    @inlinable public static var strings: SectionFlags { SectionFlags(rawValue: 0x20) }
    @inlinable public static var infoLink: SectionFlags { SectionFlags(rawValue: 0x40) }
    @inlinable public static var linkOrder: SectionFlags { SectionFlags(rawValue: 0x80) }
    @inlinable public static var osNonconforming: SectionFlags { SectionFlags(rawValue: 0x100) }
    @inlinable public static var group: SectionFlags { SectionFlags(rawValue: 0x200) }
    @inlinable public static var tls: SectionFlags { SectionFlags(rawValue: 0x400) }
    @inlinable public static var compressed: SectionFlags { SectionFlags(rawValue: 0x800) }
    @inlinable public static var exclude: SectionFlags { SectionFlags(rawValue: 0x8000_0000) }
    /// `SHF_GNU_RETAIN`.
    @inlinable public static var retain: SectionFlags { SectionFlags(rawValue: 0x20_0000) }

    /// The flag letters `llvm-readelf -S` prints, in its order.
    public var description: String {
        let letters: [(SectionFlags, Character)] = [
            (.write, "W"), (.alloc, "A"), (.execInstr, "X"), (.merge, "M"), (.strings, "S"),
            (.infoLink, "I"), (.linkOrder, "L"), (.osNonconforming, "O"), (.group, "G"),
            (.tls, "T"), (.compressed, "C"), (.exclude, "E"), (.retain, "R"),
        ]
        return String(letters.compactMap { contains($0.0) ? $0.1 : nil })
    }
}

/// `e_machine`.
public struct Machine: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    @inlinable public static var none: Machine { Machine(rawValue: 0) }
    @inlinable public static var x86_64: Machine { Machine(rawValue: 62) }
    @inlinable public static var aarch64: Machine { Machine(rawValue: 183) }
    @inlinable public static var bpf: Machine { Machine(rawValue: 247) }

    public var description: String {
        switch self {
        case .none: "EM_NONE"
        case .x86_64: "EM_X86_64"
        case .aarch64: "EM_AARCH64"
        case .bpf: "EM_BPF"
        default: "EM_\(rawValue)"
        }
    }
}

/// `e_type`.
public struct FileType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    @inlinable public static var none: FileType { FileType(rawValue: 0) }
    @inlinable public static var relocatable: FileType { FileType(rawValue: 1) }
    @inlinable public static var executable: FileType { FileType(rawValue: 2) }
    @inlinable public static var shared: FileType { FileType(rawValue: 3) }
    @inlinable public static var core: FileType { FileType(rawValue: 4) }

    public var description: String {
        switch self {
        case .none: "NONE"
        case .relocatable: "REL"
        case .executable: "EXEC"
        case .shared: "DYN"
        case .core: "CORE"
        default: "0x" + String(rawValue, radix: 16)
        }
    }
}

/// Reserved section indices (`SHN_*`).
public enum SpecialSectionIndex {
    public static let undefined: UInt16 = 0
    public static let loReserve: UInt16 = 0xff00
    public static let absolute: UInt16 = 0xfff1
    public static let common: UInt16 = 0xfff2
    public static let extended: UInt16 = 0xffff
}
