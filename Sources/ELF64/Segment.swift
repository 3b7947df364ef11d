/// One program header (`Elf64_Phdr`): a segment of the file as the loader maps it.
public struct Segment: Hashable, Sendable {
    /// `p_type` (`PT_LOAD` is 1).
    public let type: UInt32
    /// `p_flags`: `PF_X` 1, `PF_W` 2, `PF_R` 4.
    public let flags: UInt32
    public let offset: UInt64
    public let virtualAddress: UInt64
    public let fileSize: UInt64
    public let memorySize: UInt64

    public static let load: UInt32 = 1
    public static let entrySize = 56

    public init(
        type: UInt32, flags: UInt32, offset: UInt64, virtualAddress: UInt64, fileSize: UInt64, memorySize: UInt64
    ) {
        self.type = type
        self.flags = flags
        self.offset = offset
        self.virtualAddress = virtualAddress
        self.fileSize = fileSize
        self.memorySize = memorySize
    }

    /// Whether the segment is loaded executable.
    public var isExecutable: Bool { flags & 1 != 0 }

    /// Whether virtual address `address` falls in the segment as loaded (`p_vaddr ..< p_vaddr + p_memsz`).
    public func contains(address: UInt64) -> Bool {
        address >= virtualAddress && address - virtualAddress < memorySize
    }

    /// The file offset of a virtual address the segment contains, as uprobes and USDT take it
    /// (`address - p_vaddr + p_offset`, libbpf's translation); nil when that overflows.
    public func fileOffset(of address: UInt64) -> UInt64? {
        guard address >= virtualAddress else { return nil }
        let (offset, overflow) = (address - virtualAddress).addingReportingOverflow(offset)
        return overflow ? nil : offset
    }
}

extension ELFFile {
    /// The program headers, checked to lie in the file with entries of 56 bytes; empty when there are none.
    public func segments() throws(ELFError) -> [Segment] {
        let count = Int(header.programHeaderCount)
        guard count > 0, header.programHeaderOffset != 0 else { return [] }
        let reader = ByteReader(bytes, order: byteOrder)
        let entrySize = reader.record(at: 54, size: 2)?.u16(0) ?? 0  // e_phentsize (the header is 64 bytes: checked)
        guard entrySize == UInt16(Segment.entrySize) else {
            throw ELFError(
                .invalidEntrySize(found: UInt64(entrySize), expected: Segment.entrySize), field: "e_phentsize",
                offset: 54)
        }
        guard
            let table = reader.subReader(
                offset: header.programHeaderOffset, size: UInt64(count * Segment.entrySize))
        else {
            throw ELFError(
                .outOfBounds(
                    offset: header.programHeaderOffset, size: UInt64(count * Segment.entrySize),
                    fileSize: bytes.count),
                field: "e_phoff/e_phnum", offset: 32)
        }
        return (0..<count).compactMap { index in
            // Each record lies inside the table just taken.
            guard let r = table.record(at: UInt64(index * Segment.entrySize), size: Segment.entrySize) else {
                return nil
            }
            return Segment(
                type: r.u32(0), flags: r.u32(4), offset: r.u64(8), virtualAddress: r.u64(16), fileSize: r.u64(32),
                memorySize: r.u64(40))
        }
    }
}
