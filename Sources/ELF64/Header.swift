/// The ELF file header, with extended section numbering resolved.
public struct ELFHeader: Hashable, Sendable {
    public static let size = 64

    public var byteOrder: ByteOrder
    /// `EI_OSABI`.
    public var osABI: UInt8
    public var type: FileType
    public var machine: Machine
    public var entry: UInt64
    public var programHeaderOffset: UInt64
    public var sectionHeaderOffset: UInt64
    public var flags: UInt32
    public var programHeaderCount: UInt16
    /// The number of sections, from `e_shnum` or, when that is 0, from section 0's `sh_size`.
    public var sectionCount: Int
    /// The index of the section-name string table, from `e_shstrndx` or, when that is `SHN_XINDEX`, from section 0's `sh_link`.
    public var sectionNameTableIndex: Int
}

extension ELFHeader {
    /// Reads and validates the identification and fixed header fields (section 0 is consulted by ``ELFFile``).
    static func read(_ bytes: UnsafeRawBufferPointer) throws(ELFError) -> (ELFHeader, Record) {
        guard bytes.count >= 4, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46 else {
            throw ELFError(
                bytes.count < 4 ? .truncated(needed: 4, available: bytes.count) : .notELF, field: "e_ident[EI_MAG]",
                offset: 0)
        }
        guard bytes.count >= 16 else {
            throw ELFError(.truncated(needed: 16, available: bytes.count), field: "e_ident", offset: 0)
        }
        guard bytes[4] == 2 else { throw ELFError(.unsupportedClass(bytes[4]), field: "e_ident[EI_CLASS]", offset: 4) }
        let order: ByteOrder
        switch bytes[5] {
        case 1: order = .little
        case 2: order = .big
        default: throw ELFError(.invalidByteOrder(bytes[5]), field: "e_ident[EI_DATA]", offset: 5)
        }
        guard bytes[6] == 1 else {
            throw ELFError(.unsupportedVersion(UInt32(bytes[6])), field: "e_ident[EI_VERSION]", offset: 6)
        }
        guard let r = ByteReader(bytes, order: order).record(at: 0, size: size) else {
            throw ELFError(.truncated(needed: UInt64(size), available: bytes.count), field: "ELF header", offset: 0)
        }
        guard r.u32(20) == 1 else { throw ELFError(.unsupportedVersion(r.u32(20)), field: "e_version", offset: 20) }
        guard r.u16(52) >= UInt16(size) else {
            throw ELFError(.invalidEntrySize(found: UInt64(r.u16(52)), expected: size), field: "e_ehsize", offset: 52)
        }
        let header = ELFHeader(
            byteOrder: order, osABI: bytes[7],
            type: FileType(rawValue: r.u16(16)), machine: Machine(rawValue: r.u16(18)),
            entry: r.u64(24), programHeaderOffset: r.u64(32), sectionHeaderOffset: r.u64(40),
            flags: r.u32(48), programHeaderCount: r.u16(56),
            sectionCount: Int(r.u16(60)), sectionNameTableIndex: Int(r.u16(62)))
        return (header, r)
    }
}
