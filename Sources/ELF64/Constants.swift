/// `sh_type`: what a section holds.
public struct SectionType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let null = SectionType(rawValue: 0)
    public static let progbits = SectionType(rawValue: 1)
    public static let symtab = SectionType(rawValue: 2)
    public static let strtab = SectionType(rawValue: 3)
    public static let rela = SectionType(rawValue: 4)
    public static let hash = SectionType(rawValue: 5)
    public static let dynamic = SectionType(rawValue: 6)
    public static let note = SectionType(rawValue: 7)
    public static let nobits = SectionType(rawValue: 8)
    public static let rel = SectionType(rawValue: 9)
    public static let dynsym = SectionType(rawValue: 11)
    public static let initArray = SectionType(rawValue: 14)
    public static let finiArray = SectionType(rawValue: 15)
    public static let preinitArray = SectionType(rawValue: 16)
    public static let group = SectionType(rawValue: 17)
    public static let symtabShndx = SectionType(rawValue: 18)
    public static let llvmAddrsig = SectionType(rawValue: 0x6fff_4c03)
    public static let gnuHash = SectionType(rawValue: 0x6fff_fff6)
    public static let gnuVersym = SectionType(rawValue: 0x6fff_ffff)
    public static let gnuVerneed = SectionType(rawValue: 0x6fff_fffe)

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
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let write = SectionFlags(rawValue: 0x1)
    public static let alloc = SectionFlags(rawValue: 0x2)
    public static let execInstr = SectionFlags(rawValue: 0x4)
    public static let merge = SectionFlags(rawValue: 0x10)
    public static let strings = SectionFlags(rawValue: 0x20)
    public static let infoLink = SectionFlags(rawValue: 0x40)
    public static let linkOrder = SectionFlags(rawValue: 0x80)
    public static let osNonconforming = SectionFlags(rawValue: 0x100)
    public static let group = SectionFlags(rawValue: 0x200)
    public static let tls = SectionFlags(rawValue: 0x400)
    public static let compressed = SectionFlags(rawValue: 0x800)
    public static let exclude = SectionFlags(rawValue: 0x8000_0000)
    /// `SHF_GNU_RETAIN`.
    public static let retain = SectionFlags(rawValue: 0x20_0000)

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
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let none = Machine(rawValue: 0)
    public static let x86_64 = Machine(rawValue: 62)
    public static let aarch64 = Machine(rawValue: 183)
    public static let bpf = Machine(rawValue: 247)

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
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let none = FileType(rawValue: 0)
    public static let relocatable = FileType(rawValue: 1)
    public static let executable = FileType(rawValue: 2)
    public static let shared = FileType(rawValue: 3)
    public static let core = FileType(rawValue: 4)

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
