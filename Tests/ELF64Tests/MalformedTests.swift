import ELF64
import Testing

/// One way to corrupt the sample object, and the error it must produce.
struct Corruption: Sendable, CustomTestStringConvertible {
    let name: String
    let mutate: @Sendable (inout SampleELF) -> Void
    let reason: ELFError.Reason
    /// Text the error's field must contain.
    let field: String
    var testDescription: String { name }
}

let corruptions: [Corruption] = [
    Corruption(name: "bad magic", mutate: { $0.patch(UInt8(0x7e), at: 0) }, reason: .notELF, field: "EI_MAG"),
    Corruption(
        name: "32-bit class", mutate: { $0.patch(UInt8(1), at: 4) }, reason: .unsupportedClass(1), field: "EI_CLASS"),
    Corruption(
        name: "bad data encoding", mutate: { $0.patch(UInt8(3), at: 5) }, reason: .invalidByteOrder(3), field: "EI_DATA"
    ),
    Corruption(
        name: "bad ident version", mutate: { $0.patch(UInt8(2), at: 6) }, reason: .unsupportedVersion(2),
        field: "EI_VERSION"),
    Corruption(
        name: "bad e_version", mutate: { $0.patch(UInt32(7), at: 20) }, reason: .unsupportedVersion(7),
        field: "e_version"),
    Corruption(
        name: "small e_ehsize", mutate: { $0.patch(UInt16(10), at: 52) },
        reason: .invalidEntrySize(found: 10, expected: 64), field: "e_ehsize"),
    Corruption(
        name: "wrong e_shentsize", mutate: { $0.patch(UInt16(40), at: 58) },
        reason: .invalidEntrySize(found: 40, expected: 64), field: "e_shentsize"),
    Corruption(
        name: "zero e_shentsize", mutate: { $0.patch(UInt16(0), at: 58) },
        reason: .invalidEntrySize(found: 0, expected: 64), field: "e_shentsize"),
    Corruption(
        name: "e_shoff past the end", mutate: { $0.patch(UInt64(1 << 40), at: 40) },
        reason: .truncated(needed: (1 << 40) + 64, available: 0), field: "e_shoff"),
    Corruption(
        name: "e_shoff overlapping the header", mutate: { $0.patch(UInt64(8), at: 40) },
        reason: .outOfBounds(offset: 8, size: 64, fileSize: 0), field: "e_shoff"),
    Corruption(
        name: "e_shnum past the end", mutate: { $0.patch(UInt16(500), at: 60) },
        reason: .outOfBounds(offset: 0, size: 500 * 64, fileSize: 0), field: "e_shnum"),
    Corruption(
        name: "extended e_shnum overflowing",
        mutate: { s in
            s.patch(UInt16(0), at: 60)
            s.patch(UInt64.max / 2, at: s.sectionField(0, 32))
        }, reason: .outOfBounds(offset: 0, size: .max, fileSize: 0), field: "extended e_shnum"),
    Corruption(
        name: "e_shstrndx out of range", mutate: { $0.patch(UInt16(9), at: 62) },
        reason: .indexOutOfRange(9, count: 6), field: "e_shstrndx"),
    Corruption(
        name: "section names in a non-STRTAB", mutate: { $0.patch(UInt16(1), at: 62) },
        reason: .wrongSectionType(found: 1, expected: 3), field: "sh_type"),
    Corruption(
        name: "unterminated section-name table",
        mutate: { s in
            s.patch(UInt8(0x41), at: s.dataOffsets[4] + s.strtab.count - 1)
        }, reason: .unterminatedStringTable, field: "section names"),
    Corruption(
        name: "sh_name past the string table", mutate: { s in s.patch(UInt32(5000), at: s.sectionField(1, 0)) },
        reason: .stringOffsetOutOfRange(5000, tableSize: 0), field: "section 1 sh_name"),
    Corruption(
        name: "section past the end", mutate: { s in s.patch(UInt64(1 << 20), at: s.sectionField(1, 32)) },
        reason: .outOfBounds(offset: 0, size: 1 << 20, fileSize: 0), field: "section 1 sh_offset/sh_size"),
    Corruption(
        name: "section offset+size wrapping around",
        mutate: { s in
            s.patch(UInt64.max - 7, at: s.sectionField(1, 24))
            s.patch(UInt64(16), at: s.sectionField(1, 32))
        }, reason: .outOfBounds(offset: .max - 7, size: 16, fileSize: 0), field: "section 1 sh_offset/sh_size"),
    Corruption(
        name: "symtab zero sh_entsize", mutate: { s in s.patch(UInt64(0), at: s.sectionField(3, 56)) },
        reason: .invalidEntrySize(found: 0, expected: 24), field: "sh_entsize"),
    Corruption(
        name: "symtab size not whole entries", mutate: { s in s.patch(UInt64(70), at: s.sectionField(3, 32)) },
        reason: .sizeNotMultipleOfEntrySize(size: 70, entrySize: 24), field: "sh_size"),
    Corruption(
        name: "symtab sh_link out of range", mutate: { s in s.patch(UInt32(77), at: s.sectionField(3, 40)) },
        reason: .indexOutOfRange(77, count: 6), field: "sh_link"),
    Corruption(
        name: "symtab linked to a non-STRTAB", mutate: { s in s.patch(UInt32(1), at: s.sectionField(3, 40)) },
        reason: .wrongSectionType(found: 1, expected: 3), field: "sh_link"),
    Corruption(
        name: "st_name past the string table", mutate: { s in s.patch(UInt32(0xffff_fff0), at: s.symbolField(2, 0)) },
        reason: .stringOffsetOutOfRange(0xffff_fff0, tableSize: 0), field: "symbol 2 st_name"),
    Corruption(
        name: "st_shndx out of range", mutate: { s in s.patch(UInt16(40), at: s.symbolField(2, 6)) },
        reason: .indexOutOfRange(40, count: 6), field: "symbol 2 st_shndx"),
    Corruption(
        name: "SHN_XINDEX without SHT_SYMTAB_SHNDX", mutate: { s in s.patch(UInt16(0xffff), at: s.symbolField(2, 6)) },
        reason: .indexOutOfRange(0xffff, count: 6), field: "SHN_XINDEX"),
    Corruption(
        name: "relocation zero sh_entsize", mutate: { s in s.patch(UInt64(0), at: s.sectionField(2, 56)) },
        reason: .invalidEntrySize(found: 0, expected: 16), field: "sh_entsize"),
    Corruption(
        name: "relocation sh_info out of range", mutate: { s in s.patch(UInt32(66), at: s.sectionField(2, 44)) },
        reason: .indexOutOfRange(66, count: 6), field: "sh_info"),
    Corruption(
        name: "relocation linked to a non-symtab", mutate: { s in s.patch(UInt32(4), at: s.sectionField(2, 40)) },
        reason: .wrongSectionType(found: 3, expected: 2), field: "sh_link"),
    Corruption(
        name: "relocation symbol out of range", mutate: { s in s.patch(UInt64(9) << 32 | 1, at: s.dataOffsets[2] + 8) },
        reason: .indexOutOfRange(9, count: 3), field: "relocation 0 r_info symbol"),
]

/// Compares reasons, ignoring sizes that depend on the exact file length.
func sameReason(_ a: ELFError.Reason, _ b: ELFError.Reason) -> Bool {
    switch (a, b) {
    case let (.truncated(n1, _), .truncated(n2, _)): n1 == n2
    case let (.outOfBounds(o1, s1, _), .outOfBounds(o2, s2, _)): (o1 == o2 || o2 == 0) && s1 == s2
    case let (.stringOffsetOutOfRange(o1, _), .stringOffsetOutOfRange(o2, _)): o1 == o2
    default: a == b
    }
}

@Suite("Malformed ELF files get typed errors")
struct MalformedTests {
    @Test("the untouched sample opens in both byte orders", arguments: [ByteOrder.little, .big])
    func sampleIsValid(order: ByteOrder) {
        #expect(openAndWalk(SampleELF(order: order).bytes) == nil)
    }

    @Test("one error class per corruption", arguments: corruptions, [ByteOrder.little, .big])
    func corruption(_ c: Corruption, order: ByteOrder) throws {
        var sample = SampleELF(order: order)
        c.mutate(&sample)
        let error = try #require(openAndWalk(sample.bytes), "\(c.name) was accepted")
        #expect(sameReason(error.reason, c.reason), "\(c.name): got \(error)")
        #expect(error.field.contains(c.field), "\(c.name): field was '\(error.field)'")
        #expect(
            error.offset >= 0 && error.offset < sample.bytes.count, "\(c.name): offset \(error.offset) outside the file"
        )
    }

    @Test("every truncation of the sample is rejected or read, never trapped")
    func everyPrefix() {
        let bytes = SampleELF(order: .little).bytes
        var rejected = 0
        for length in 0..<bytes.count where openAndWalk(Array(bytes[..<length])) != nil {
            rejected += 1
        }
        // The section header table sits at the end, so every strict prefix loses part of it.
        #expect(rejected == bytes.count)
    }

    @Test("a file shorter than the identification is truncated, not trapped")
    func tiny() {
        #expect(openAndWalk([]).map { $0.reason } == .truncated(needed: 4, available: 0))
        #expect(openAndWalk([0x7f, 0x45, 0x4c, 0x46, 2]).map { $0.reason } == .truncated(needed: 16, available: 5))
    }

    @Test("errors describe field, offset and cause")
    func description() {
        var sample = SampleELF(order: .little)
        sample.patch(UInt16(40), at: 58)
        let text = openAndWalk(sample.bytes)?.description ?? ""
        #expect(text == "e_shentsize at file offset 0x3a: entry size 40, expected 64")
    }
}
