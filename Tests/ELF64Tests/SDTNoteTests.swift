import ELF64
import Foundation
import ParserHarness
import TestSupport
import Testing

/// Hostile `.note.stapsdt` sections: typed errors, never traps, linear time.
@Suite("USDT notes: hostile input")
struct SDTNoteTests {
    static let binary = TestPaths.testData + "/usdt/usdt_target"

    /// The test binary with its `.note.stapsdt` replaced by `notes`.
    static func withNotes(_ notes: [UInt8]) throws -> [UInt8] {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: binary)))
        var editor = try #require(bytes.withUnsafeBytes { ELFEditor($0) })
        let index = try #require(editor.index(named: ".note.stapsdt"))
        editor.sections[index].data = notes
        return editor.bytes
    }

    /// One note: header, name padded to 4, description padded to 4.
    static func note(name: [UInt8] = Array("stapsdt\0".utf8), type: UInt32 = 3, description: [UInt8]) -> [UInt8] {
        func word(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func padded(_ b: [UInt8]) -> [UInt8] { b + [UInt8](repeating: 0, count: (4 - b.count % 4) % 4) }
        return word(UInt32(name.count)) + word(UInt32(description.count)) + word(type) + padded(name)
            + padded(description)
    }

    static func description(_ strings: String) -> [UInt8] {
        [UInt8](repeating: 0x11, count: 24) + Array(strings.utf8)
    }

    static func problem(_ notes: [UInt8]) throws -> ELFError.Reason? {
        let file = try ELFFile(ByteStorage(copying: withNotes(notes)))
        do {
            _ = try file.sdtNotes()
            return nil
        } catch {
            return error.reason
        }
    }

    @Test("malformed notes and descriptions are typed errors")
    func malformed() throws {
        #expect(try Self.problem(Self.description("p\0n\0a\0")) != nil, "a note header that is not one")
        #expect(try Self.problem(Self.note(description: Self.description("p\0n"))) == .sdtNote(.unterminated("name")))
        #expect(try Self.problem(Self.note(description: Self.description("p\0\0\0"))) == .sdtNote(.emptyName))
        #expect(
            try Self.problem(Self.note(description: Self.description("provider")))
                == .sdtNote(.unterminated("provider")))
        #expect(try Self.problem(Self.note(description: [0, 1, 2])) == .sdtNote(.descriptionTooShort(3)))
        guard case .truncated? = try Self.problem([8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 3, 0, 0, 0]) else {
            Issue.record("a description past the section is a truncation")
            return
        }
    }

    @Test("notes of other owners or types are skipped; an argument string starting with ':' means none")
    func skipped() throws {
        let notes =
            Self.note(name: Array("GNU\0".utf8), description: [1, 2, 3, 4])
            + Self.note(type: 4, description: Self.description("p\0n\0a\0"))
            + Self.note(description: Self.description("prov\0probe\0:ignored\0"))
        let file = try ELFFile(ByteStorage(copying: try Self.withNotes(notes)))
        let read = try file.sdtNotes()
        #expect(read.map(\.name) == ["probe"])
        #expect(read.first?.arguments == "")
        // (The editor writes no section addresses: .stapsdt.base is at 0, which adjusts nothing.)
        #expect(read.first?.address == 0x1111_1111_1111_1111 && read.first?.semaphore == 0x1111_1111_1111_1111)
    }

    @Test("a big-endian file's notes read in its byte order")
    func bigEndian() throws {
        func word(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
        func long(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
        let description = long(0x1000) + long(0) + long(0x2000) + Array("prov\0probe\0-4@%r1\0".utf8)
        let padded = description + [UInt8](repeating: 0, count: (4 - description.count % 4) % 4)
        let note = word(8) + word(UInt32(description.count)) + word(3) + Array("stapsdt\0".utf8) + padded
        var editor = ELFEditor(order: .big)
        editor.append(.init(type: SectionType.note.rawValue, alignment: 4, data: note), named: ".note.stapsdt")
        let file = try ELFFile(ByteStorage(copying: editor.bytes))
        let notes = try file.sdtNotes()
        #expect(notes.count == 1)
        #expect(notes.first?.address == 0x1000 && notes.first?.semaphore == 0x2000)
        #expect(notes.first?.provider == "prov" && notes.first?.name == "probe" && notes.first?.arguments == "-4@%r1")
    }

    @Test("N notes read in linear time")
    func scaling() {
        let ratio = Scaling.ratio(
            500,
            make: { count in
                (try? Self.withNotes(
                    (0..<count).flatMap { Self.note(description: Self.description("p\0n\($0)\0-4@%eax\0")) })) ?? []
            }
        ) { bytes in
            _ = bytes.withUnsafeBytes { Harness.elf($0) }
        }
        #expect(ratio < 16, "at 8× the notes: \(ratio)× the time")
    }
}
