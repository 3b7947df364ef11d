import Glibc

/// Writes an ELF64 file from section contents: the header, each section's bytes at its
/// alignment, then the section header table. Section 0 (`SHT_NULL`) is implicit.
public struct ELFWriter: Sendable {
    /// One section to write; `link` and `info` are section indices or counts, as the type defines.
    public struct Entry: Sendable {
        public var nameOffset: UInt32
        public var type: SectionType
        public var flags: SectionFlags
        public var link: UInt32
        public var info: UInt32
        public var alignment: UInt64
        public var entrySize: UInt64
        /// The bytes; for `SHT_NOBITS`, empty, the size being `size`.
        public var data: [UInt8]
        public var size: UInt64

        public init(
            nameOffset: UInt32, type: SectionType, flags: SectionFlags = [], link: UInt32 = 0, info: UInt32 = 0,
            alignment: UInt64, entrySize: UInt64 = 0, data: [UInt8], size: UInt64? = nil
        ) {
            self.nameOffset = nameOffset
            self.type = type
            self.flags = flags
            self.link = link
            self.info = info
            self.alignment = alignment
            self.entrySize = entrySize
            self.data = data
            self.size = size ?? UInt64(data.count)
        }
    }

    public let byteOrder: ByteOrder
    public let type: FileType
    public let machine: Machine
    /// Sections 1…n, in index order.
    public var sections: [Entry] = []
    /// The index of the section holding section names.
    public var sectionNameTableIndex = 0

    public init(byteOrder: ByteOrder, type: FileType, machine: Machine) {
        self.byteOrder = byteOrder
        self.type = type
        self.machine = machine
    }

    /// The file's bytes. Alignments are taken as powers of two no larger than 4 KiB (larger is clamped).
    public func encode() -> [UInt8] {
        var out = IntegerWriter(order: byteOrder)
        // The whole file at most: header, each section's bytes after its padding, the header table.
        let size = sections.reduce(ELFHeader.size + 8 + (sections.count + 1) * Section.headerSize) {
            $0 + Int(min(max($1.alignment, 1), 4096)) + ($1.type == .nobits ? 0 : $1.data.count)
        }
        out.bytes.reserveCapacity(size)
        out.bytes += [0x7f, 0x45, 0x4c, 0x46, 2, byteOrder == .little ? 1 : 2, 1, 0]
        out.bytes += repeatElement(0, count: 8)
        let sectionHeaderOffsetField = out.bytes.count + 24
        out.bytes.appendIntegers(count: ELFHeader.size - 16, order: byteOrder) { header in
            header.put(type.rawValue)
            header.put(machine.rawValue)
            header.put(UInt32(1))  // e_version
            header.put(UInt64(0))  // e_entry
            header.put(UInt64(0))  // e_phoff
            header.put(UInt64(0))  // e_shoff, patched below
            header.put(UInt32(0))  // e_flags
            header.put(UInt16(ELFHeader.size))
            header.put(UInt16(0))  // e_phentsize
            header.put(UInt16(0))  // e_phnum
            header.put(UInt16(Section.headerSize))
            header.put(UInt16(sections.count + 1))
            header.put(UInt16(sectionNameTableIndex))
        }
        var offsets: [UInt64] = []
        for section in sections {
            let alignment = Int(min(max(section.alignment, 1), 4096))
            out.align(to: alignment)
            offsets.append(UInt64(out.bytes.count))
            if section.type != .nobits { out.bytes += section.data }
        }
        out.align(to: 8)
        out.patch(UInt64(out.bytes.count), at: sectionHeaderOffsetField)
        out.bytes.append(contentsOf: repeatElement(0, count: Section.headerSize))
        out.bytes.appendIntegers(count: sections.count * Section.headerSize, order: byteOrder) { headers in
            for (section, offset) in zip(sections, offsets) {
                headers.put(section.nameOffset)
                headers.put(section.type.rawValue)
                headers.put(section.flags.rawValue)
                headers.put(UInt64(0))  // sh_addr
                headers.put(offset)
                headers.put(section.size)
                headers.put(section.link)
                headers.put(section.info)
                headers.put(section.alignment)
                headers.put(section.entrySize)
            }
        }
        return out.bytes
    }
}

/// A string table under construction (`.strtab`): each distinct string once, the first byte NUL.
public struct StringTableBuilder: Sendable {
    public private(set) var bytes: [UInt8] = [0]
    /// Each string's offset and hash, in the order added.
    private var entries: [(offset: UInt32, hash: UInt64)] = []
    /// Slot → entry + 1 (0: free), found by ``ByteHash`` (keyed per process: crafted names cannot
    /// share one probe run); a power of two, at most half full.
    private var slots = [UInt32](filling: 64, with: 0)

    public init() {}

    /// A builder continuing the string table `bytes`, whose offsets stay valid: each string in it is
    /// found at its first offset, new ones are appended (after a NUL, added if `bytes` lacks a
    /// final one). `nil` when `bytes` does not start with NUL (offset 0 must be the empty string).
    public init?(adopting bytes: [UInt8]) {
        guard bytes.first ?? 0 == 0 else { return nil }
        self.bytes = bytes.isEmpty ? [0] : bytes
        if self.bytes.last != 0 { self.bytes.append(0) }
        var start = 1
        for index in 1..<self.bytes.count where self.bytes[index] == 0 {
            if index > start { adopt(start, count: index - start) }
            start = index + 1
        }
    }

    /// Indexes the string of `count` bytes at `offset` unless an equal one was indexed before.
    private mutating func adopt(_ offset: Int, count: Int) {
        let (hash, found, slot) = bytes.withUnsafeBufferPointer {
            find(UnsafeBufferPointer(rebasing: $0[offset..<offset + count]))
        }
        if found == nil { insert(offset: UInt32(truncatingIfNeeded: offset), hash: hash, at: slot) }
    }

    /// The hash of `utf8`, the offset of an equal string indexed, or else the free slot for it.
    private func find(_ utf8: UnsafeBufferPointer<UInt8>) -> (hash: UInt64, found: UInt32?, slot: Int) {
        let hash = ByteHash.hash(utf8)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let entry = entries[Int(slots[slot] - 1)]
            if entry.hash == hash, holds(utf8, at: Int(entry.offset)) { return (hash, entry.offset, slot) }
            slot = (slot + 1) & mask
        }
        return (hash, nil, slot)
    }

    private mutating func insert(offset: UInt32, hash: UInt64, at slot: Int) {
        entries.append((offset, hash))
        slots[slot] = UInt32(entries.count)
        if entries.count * 2 > slots.count { rehash(slots: 2 * slots.count) }
    }

    /// Makes room for `strings` more strings of `bytes` bytes in all (their NULs not counted).
    public mutating func reserve(strings: Int, bytes count: Int) {
        bytes.reserve(additional: count + strings)
        entries.reserve(additional: strings)
        var size = slots.count
        while size < 2 * (entries.count + strings) { size *= 2 }
        if size > slots.count { rehash(slots: size) }
    }

    /// The offset of `string`, added if new.
    public mutating func offset(of string: String) -> UInt32 {
        var string = string
        return string.withUTF8 { offset(of: $0) }
    }

    /// The offset of `string`, added if new.
    public mutating func offset(of string: ByteString) -> UInt32 { offset(of: string.utf8) }

    /// The offset of the string of bytes `utf8`, added if new.
    public mutating func offset(of utf8: UnsafeBufferPointer<UInt8>) -> UInt32 {
        guard !utf8.isEmpty else { return 0 }
        let (hash, found, slot) = find(utf8)
        if let found { return found }
        let offset = UInt32(truncatingIfNeeded: bytes.count)
        bytes.append(contentsOf: utf8)
        bytes.append(0)
        insert(offset: offset, hash: hash, at: slot)
        return offset
    }

    /// Whether the string at `offset` is `utf8` (its bytes, then NUL).
    private func holds(_ utf8: UnsafeBufferPointer<UInt8>, at offset: Int) -> Bool {
        guard bytes.count - offset > utf8.count, bytes[offset + utf8.count] == 0 else { return false }
        return bytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + offset, utf8.baseAddress!, utf8.count) == 0 }
    }

    /// Places every entry anew in `size` slots (a power of two).
    private mutating func rehash(slots size: Int) {
        slots = [UInt32](filling: size, with: 0)
        let mask = slots.count - 1
        for (index, entry) in entries.enumerated() {
            var slot = Int(truncatingIfNeeded: entry.hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(index + 1)
        }
    }
}
