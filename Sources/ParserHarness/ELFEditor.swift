import ELF64

/// An ELF64 file taken apart into editable sections and written back: what structure-aware
/// fuzzing and the hostile-object generators use to build inputs whose parts agree with each
/// other (a second symbol table, a relocation section linked to it, a `.BTF` rewritten in place).
///
/// Reading goes through ``ELFFile`` (an input it rejects has no editor); writing lays the
/// sections out one after another, 8-byte aligned, then the section header table.
public struct ELFEditor: Sendable {
    /// One section header and its bytes (`size` is kept apart for `SHT_NOBITS`).
    public struct Entry: Sendable {
        public var nameOffset: UInt32
        public var type: UInt32
        public var flags: UInt64
        public var link: UInt32
        public var info: UInt32
        public var alignment: UInt64
        public var entrySize: UInt64
        public var data: [UInt8]
        /// `sh_size` for sections without file bytes; for the others the data's count is written.
        public var memorySize: UInt64
        /// An earlier section whose file bytes this header names instead of its own `data` (sections
        /// sharing bytes, which the gABI forbids: a hostile file).
        public var sharingBytesOf: Int?

        public init(
            nameOffset: UInt32 = 0, type: UInt32, flags: UInt64 = 0, link: UInt32 = 0, info: UInt32 = 0,
            alignment: UInt64 = 8, entrySize: UInt64 = 0, data: [UInt8] = [], memorySize: UInt64 = 0
        ) {
            self.nameOffset = nameOffset
            self.type = type
            self.flags = flags
            self.link = link
            self.info = info
            self.alignment = alignment
            self.entrySize = entrySize
            self.data = data
            self.memorySize = memorySize
        }

        var hasFileData: Bool { type != SectionType.nobits.rawValue && type != SectionType.null.rawValue }
    }

    /// The first 64 bytes (`e_shoff`, `e_shnum`, `e_shstrndx` are rewritten on ``bytes``).
    public var header: [UInt8]
    public var order: ByteOrder
    public var sections: [Entry]
    /// `e_shstrndx`.
    public var namesIndex: Int

    /// An empty relocatable file of `machine` (EM_BPF by default): the null section and a section-name table.
    public init(order: ByteOrder, machine: UInt16 = 247) {
        var h = IntegerWriter(order: order)
        h.bytes = [0x7f, 0x45, 0x4c, 0x46, 2, order == .little ? 1 : 2, 1, 0] + [UInt8](repeating: 0, count: 8)
        h.put(UInt16(1)); h.put(machine); h.put(UInt32(1))  // e_type REL, e_machine, e_version
        h.put(UInt64(0)); h.put(UInt64(0)); h.put(UInt64(0))  // e_entry, e_phoff, e_shoff (written by bytes)
        h.put(UInt32(0)); h.put(UInt16(64)); h.put(UInt16(0)); h.put(UInt16(0))
        h.put(UInt16(64)); h.put(UInt16(0)); h.put(UInt16(0))  // e_shentsize, e_shnum, e_shstrndx (written by bytes)
        header = h.bytes
        self.order = order
        sections = [
            Entry(type: SectionType.null.rawValue, alignment: 0),
            Entry(nameOffset: 1, type: SectionType.strtab.rawValue, alignment: 1, data: Array("\0.shstrtab\0".utf8)),
        ]
        namesIndex = 1
    }

    /// Takes apart a file that ``ELFFile`` reads; `nil` otherwise.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard let file = try? ELFFile(unsafeBytes: bytes), bytes.count >= ELFHeader.size else { return nil }
        header = Array(bytes[0..<ELFHeader.size])
        order = file.byteOrder
        namesIndex = file.header.sectionNameTableIndex
        sections = file.sections.map { s in
            var name: UInt32 = 0
            if s.headerOffset + 4 <= bytes.count {
                name = Record(
                    UnsafeRawBufferPointer(rebasing: bytes[s.headerOffset..<s.headerOffset + 4]), order: file.byteOrder
                ).u32(0)
            }
            return Entry(
                nameOffset: name, type: s.type.rawValue, flags: s.flags.rawValue, link: s.link, info: s.info,
                alignment: s.alignment, entrySize: s.entrySize, data: Array(s.data), memorySize: s.size)
        }
    }

    /// The index of the first section named `name`.
    public func index(named name: String) -> Int? {
        guard namesIndex < sections.count else { return nil }
        let names = sections[namesIndex].data, wanted = Array(name.utf8) + [0]
        return sections.indices.first { i in
            let at = Int(sections[i].nameOffset)
            return at + wanted.count <= names.count && Array(names[at..<at + wanted.count]) == wanted
        }
    }

    /// The index of the first section of `type`.
    public func index(ofType type: SectionType) -> Int? { sections.firstIndex { $0.type == type.rawValue } }

    /// Appends `entry` named `name` (added to the section-name table) and returns its index.
    @discardableResult
    public mutating func append(_ entry: Entry, named name: String) -> Int {
        var entry = entry
        if namesIndex > 0, namesIndex < sections.count {
            entry.nameOffset = UInt32(sections[namesIndex].data.count)
            sections[namesIndex].data += Array(name.utf8) + [0]
        }
        sections.append(entry)
        return sections.count - 1
    }

    /// Reads the `width`-byte integer at `offset` of section `index`'s data (0 when out of range).
    public func read(_ index: Int, at offset: Int, width: Int) -> UInt64 {
        let data = sections[index].data
        guard offset >= 0, offset + width <= data.count else { return 0 }
        var value: UInt64 = 0
        for i in 0..<width {
            let byte = UInt64(data[offset + (order == .little ? i : width - 1 - i)])
            value |= byte << (8 * UInt64(i))
        }
        return value
    }

    /// Writes `value` as a `width`-byte integer at `offset` of section `index`'s data (ignored when out of range).
    public mutating func write(_ value: UInt64, width: Int, to index: Int, at offset: Int) {
        guard offset >= 0, offset + width <= sections[index].data.count else { return }
        for i in 0..<width {
            sections[index].data[offset + (order == .little ? i : width - 1 - i)] = UInt8(
                truncatingIfNeeded: value >> (8 * UInt64(i)))
        }
    }

    /// The file: header, each section's bytes (8-byte aligned), then the section header table.
    public var bytes: [UInt8] {
        var out = header
        var offsets = [UInt64](repeating: 0, count: sections.count)
        var sizes = sections.map { $0.hasFileData ? UInt64($0.data.count) : $0.memorySize }
        for (i, s) in sections.enumerated() where s.hasFileData {
            if let shared = s.sharingBytesOf, shared < i {
                (offsets[i], sizes[i]) = (offsets[shared], sizes[shared])
                continue
            }
            while out.count % 8 != 0 { out.append(0) }
            offsets[i] = UInt64(out.count)
            out += s.data
        }
        while out.count % 8 != 0 { out.append(0) }
        let shoff = out.count
        var w = IntegerWriter(order: order)
        for (i, s) in sections.enumerated() {
            w.put(s.nameOffset); w.put(s.type); w.put(s.flags); w.put(UInt64(0))
            w.put(offsets[i]); w.put(sizes[i])
            w.put(s.link); w.put(s.info); w.put(s.alignment); w.put(s.entrySize)
        }
        out += w.bytes
        var h = IntegerWriter(order: order)
        h.bytes = out
        h.patch(UInt64(shoff), at: 40)
        // (A file of 65,280 sections or more would need extended numbering: the editor writes the low bits, a hostile header.)
        h.patch(UInt16(truncatingIfNeeded: sections.count), at: 60)
        h.patch(UInt16(truncatingIfNeeded: namesIndex), at: 62)
        return h.bytes
    }
}
