import ELF64
import ParserHarness

/// Writes integers in a chosen byte order.
struct ByteWriter {
    var order: ByteOrder
    var bytes: [UInt8] = []

    mutating func put<T: FixedWidthInteger>(_ value: T) {
        let v = order == .little ? value.littleEndian : value.bigEndian
        withUnsafeBytes(of: v) { bytes += $0 }
    }

    mutating func align(_ n: Int) {
        while bytes.count % n != 0 { bytes.append(0) }
    }

    /// Overwrites `value` at `offset`.
    mutating func patch<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        let v = order == .little ? value.littleEndian : value.bigEndian
        withUnsafeBytes(of: v) { raw in
            for (i, b) in raw.enumerated() { bytes[offset + i] = b }
        }
    }
}

/// A small, valid ELF64 relocatable BPF object built byte by byte, whose
/// fields the malformed-input tests then corrupt one at a time.
///
/// Sections: 0 NULL, 1 `.text` (one `ld_imm64`), 2 `.rel.text`, 3 `.symtab`,
/// 4 `.strtab` (section and symbol names), 5 `.bss` (NOBITS, 8 bytes).
/// Symbols: 0 null, 1 `.text` section symbol, 2 `counter` (global, in `.bss`).
struct SampleELF {
    var w: ByteWriter
    /// Offset of the section header table.
    let shoff: Int
    /// Offsets of each section's bytes.
    let dataOffsets: [Int]
    let strtab: [UInt8]

    static let sectionNames = ["", ".text", ".rel.text", ".symtab", ".strtab", ".bss"]

    init(order: ByteOrder) {
        var strtab: [UInt8] = [0]
        var nameOffsets: [UInt32] = []
        for name in Self.sectionNames {
            if name.isEmpty { nameOffsets.append(0); continue }
            nameOffsets.append(UInt32(strtab.count))
            strtab += Array(name.utf8) + [0]
        }
        let counterName = UInt32(strtab.count)
        strtab += Array("counter".utf8) + [0]

        var w = ByteWriter(order: order)
        w.bytes = [0x7f, 0x45, 0x4c, 0x46, 2, order == .little ? 1 : 2, 1, 0] + Array(repeating: 0, count: 8)
        w.put(UInt16(1)); w.put(UInt16(247)); w.put(UInt32(1))  // e_type, e_machine, e_version
        w.put(UInt64(0)); w.put(UInt64(0)); w.put(UInt64(0))  // e_entry, e_phoff, e_shoff (patched)
        // e_flags, e_ehsize, e_phentsize, e_phnum
        w.put(UInt32(0)); w.put(UInt16(64)); w.put(UInt16(0)); w.put(UInt16(0))
        w.put(UInt16(64)); w.put(UInt16(6)); w.put(UInt16(4))  // e_shentsize, e_shnum, e_shstrndx

        var offsets = [0]
        // .text: r1 = map[counter] ll (ld_imm64, two slots).
        offsets.append(w.bytes.count)
        w.bytes += [0x18, 0x01, 0, 0, 0, 0, 0, 0] + Array(repeating: 0, count: 8)
        // .rel.text: one R_BPF_64_64 against symbol 2.
        offsets.append(w.bytes.count)
        w.put(UInt64(0)); w.put(UInt64(2) << 32 | 1)
        // .symtab
        offsets.append(w.bytes.count)
        w.bytes += Array(repeating: 0, count: 24)
        w.put(UInt32(0)); w.put(UInt8(3)); w.put(UInt8(0)); w.put(UInt16(1)); w.put(UInt64(0)); w.put(UInt64(0))
        w.put(counterName); w.put(UInt8(0x11)); w.put(UInt8(0)); w.put(UInt16(5)); w.put(UInt64(0)); w.put(UInt64(8))
        // .strtab
        offsets.append(w.bytes.count)
        w.bytes += strtab
        offsets.append(w.bytes.count)  // .bss has no bytes
        w.align(8)

        let shoff = w.bytes.count
        w.patch(UInt64(shoff), at: 40)
        let specs:
            [(type: UInt32, flags: UInt64, size: Int, link: UInt32, info: UInt32, align: UInt64, entsize: UInt64)] = [
                (0, 0, 0, 0, 0, 0, 0),
                (1, 0x6, 16, 0, 0, 8, 0),
                (9, 0x40, 16, 3, 1, 8, 16),
                (2, 0, 72, 4, 2, 8, 24),
                (3, 0, strtab.count, 0, 0, 1, 0),
                (8, 0x3, 8, 0, 0, 8, 0),
            ]
        for (i, s) in specs.enumerated() {
            w.put(nameOffsets[i]); w.put(s.type); w.put(s.flags); w.put(UInt64(0))
            w.put(UInt64(i == 0 ? 0 : offsets[i])); w.put(UInt64(s.size)); w.put(s.link); w.put(s.info)
            w.put(s.align); w.put(s.entsize)
        }
        self.w = w
        self.shoff = shoff
        self.dataOffsets = offsets
        self.strtab = strtab
    }

    var bytes: [UInt8] { w.bytes }

    /// Offset of a field of section header `index` (e.g. 24 for `sh_offset`).
    func sectionField(_ index: Int, _ field: Int) -> Int { shoff + index * 64 + field }

    /// Offset of a field of symbol `index` (e.g. 6 for `st_shndx`).
    func symbolField(_ index: Int, _ field: Int) -> Int { dataOffsets[3] + index * 24 + field }

    mutating func patch<T: FixedWidthInteger>(_ value: T, at offset: Int) { w.patch(value, at: offset) }
}

/// Opens `bytes` and walks everything, as a consumer would; returns the first error.
func openAndWalk(_ bytes: [UInt8]) -> ELFError? {
    bytes.withUnsafeBytes { Harness.elf($0) }
}
