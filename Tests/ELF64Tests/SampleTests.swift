import ELF64
import Testing

@Suite("Reading a well-formed object")
struct SampleTests {
    @Test("sections, symbols and relocations decode in either byte order", arguments: [ByteOrder.little, .big])
    func decode(order: ByteOrder) throws {
        let bytes = SampleELF(order: order).bytes
        try bytes.withUnsafeBytes { raw in
            let file = try ELFFile(unsafeBytes: raw)
            #expect(file.byteOrder == order)
            #expect(file.header.machine == .bpf)
            #expect(file.header.type == .relocatable)
            #expect(file.sections.map { String($0.name) } == SampleELF.sectionNames)
            let text = try #require(file.section(named: ".text"))
            #expect(text.index == 1 && text.flags == [.alloc, .execInstr] && text.data.count == 16)
            #expect(text.data.first == 0x18)
            let bss = try #require(file.section(named: ".bss"))
            #expect(bss.type == .nobits && bss.size == 8 && bss.data.isEmpty)
            #expect(file.section(named: ".data") == nil)

            let symbols = try #require(try file.symbolTable())
            #expect(symbols.count == 3)
            let counter = symbols[2]
            #expect(counter.name == "counter")
            #expect(counter.binding == .global && counter.type == .object && counter.size == 8)
            #expect(counter.section == .index(5))
            #expect(symbols[1].type == .section && symbols[1].section == .index(1))
            #expect(symbols[0].section == .undefined)

            let rel = try file.relocations(in: try #require(file.section(named: ".rel.text")))
            #expect(rel.count == 1 && rel.targetSectionIndex == 1 && rel.symbolTableIndex == 3 && !rel.hasAddends)
            #expect(rel[0] == Relocation(offset: 0, symbolIndex: 2, type: BPFRelocationType.r64_64.rawValue, addend: 0))
        }
    }

    @Test("extended numbering: e_shnum 0 and e_shstrndx SHN_XINDEX read from section 0")
    func extendedNumbering() throws {
        var sample = SampleELF(order: .big)
        sample.patch(UInt16(0), at: 60)
        sample.patch(UInt16(0xffff), at: 62)
        sample.patch(UInt64(6), at: sample.sectionField(0, 32))
        sample.patch(UInt32(4), at: sample.sectionField(0, 40))
        try sample.bytes.withUnsafeBytes { raw in
            let file = try ELFFile(unsafeBytes: raw)
            #expect(file.header.sectionCount == 6)
            #expect(file.header.sectionNameTableIndex == 4)
            #expect(file.sections[5].name == ".bss")
        }
    }

    @Test("SHN_XINDEX symbols resolve through SHT_SYMTAB_SHNDX")
    func extendedSymbolIndex() throws {
        // Turn .bss (section 5, no bytes) into a SYMTAB_SHNDX table covering the 3 symbols,
        // stored in the 16 bytes of .text, and mark symbol 1 as SHN_XINDEX → section 1.
        var sample = SampleELF(order: .little)
        let table = sample.dataOffsets[1]
        sample.patch(UInt32(18), at: sample.sectionField(5, 4))
        sample.patch(UInt64(table), at: sample.sectionField(5, 24))
        sample.patch(UInt64(12), at: sample.sectionField(5, 32))
        sample.patch(UInt32(3), at: sample.sectionField(5, 40))
        sample.patch(UInt32(0), at: table)
        sample.patch(UInt32(1), at: table + 4)
        sample.patch(UInt32(0), at: table + 8)
        sample.patch(UInt16(0xffff), at: sample.symbolField(1, 6))
        sample.patch(UInt16(1), at: sample.symbolField(2, 6))
        try sample.bytes.withUnsafeBytes { raw in
            let file = try ELFFile(unsafeBytes: raw)
            let symbols = try #require(try file.symbolTable())
            #expect(symbols[1].section == .index(1))
        }
    }

    @Test("names are views into the file, not copies")
    func zeroCopy() throws {
        try SampleELF(order: .little).bytes.withUnsafeBytes { raw in
            let file = try ELFFile(unsafeBytes: raw)
            let name = file.sections[1].name
            let base = try #require(raw.baseAddress)
            let start = UnsafeRawPointer(try #require(name.utf8.baseAddress))
            #expect(start >= base && start < base + raw.count)
            #expect(file.sections[1].data.baseAddress == base + Int(file.sections[1].offset))
        }
    }
}
