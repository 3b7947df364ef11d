import BTF
import ELF64
import Testing

/// A corruption of the sample blob and the reason it must be rejected with.
struct BTFCorruption: Sendable, CustomTestStringConvertible {
    let name: String
    let mutate: @Sendable (inout [UInt8]) -> Void
    let expect: @Sendable (BTFError.Reason) -> Bool
    var testDescription: String { name }
}

/// Offsets in the sample blob: header 24 bytes, then types; type 1 (INT) is 16 bytes, type 2 (PTR) 12, type 3 (STRUCT) 12+24.
let typesStart = 24
let structStart = typesStart + 16 + 12

let btfCorruptions: [BTFCorruption] = [
    BTFCorruption(name: "bad magic", mutate: { $0[0] = 0 }, expect: { if case .badMagic = $0 { true } else { false } }),
    BTFCorruption(name: "version 2", mutate: { $0[2] = 2 }, expect: { $0 == .unsupportedVersion(2) }),
    BTFCorruption(
        name: "header length too small", mutate: { $0.patch(12, at: 4) }, expect: { $0 == .badHeaderLength(12) }),
    BTFCorruption(
        name: "header length past the blob", mutate: { $0.patch(1 << 30, at: 4) },
        expect: { $0 == .badHeaderLength(1 << 30) }),
    BTFCorruption(
        name: "type section past the blob", mutate: { $0.patch(0xffff_fff0, at: 12) },
        expect: { if case .sectionOutOfBounds = $0 { true } else { false } }),
    BTFCorruption(
        name: "string section offset wrapping", mutate: { $0.patch(0xffff_ffff, at: 16) },
        expect: { if case .sectionOutOfBounds = $0 { true } else { false } }),
    BTFCorruption(
        name: "strings not ending with NUL", mutate: { $0[$0.count - 1] = 0x41 }, expect: { $0 == .malformedStrings }),
    BTFCorruption(
        name: "strings not starting with NUL",
        mutate: { bytes in
            let stringsStart = 24 + Int(bytes[16]) + Int(bytes[17]) << 8
            bytes[stringsStart] = 0x41
        }, expect: { $0 == .malformedStrings }),
    BTFCorruption(name: "unknown kind", mutate: { $0[typesStart + 7] = 25 }, expect: { $0 == .unknownKind(25) }),
    BTFCorruption(
        name: "vlen past the type section",
        mutate: {
            $0[structStart + 4] = 0xff; $0[structStart + 5] = 0x7f
        },
        expect: { if case .typePastEnd = $0 { true } else { false } }),
    BTFCorruption(
        name: "type section ending inside a header",
        mutate: { bytes in
            let length = UInt32(bytes[12]) | UInt32(bytes[13]) << 8
            bytes.patch(length - 4, at: 12)
        }, expect: { if case .typePastEnd = $0 { true } else { false } }),
    BTFCorruption(
        name: "type name offset out of range", mutate: { $0.patch(0x00ff_ffff, at: typesStart) },
        expect: { if case .stringOffsetOutOfRange(0x00ff_ffff, _) = $0 { true } else { false } }),
    BTFCorruption(
        name: "member name offset out of range", mutate: { $0.patch(0x7fff_0000, at: structStart + 12) },
        expect: { if case .stringOffsetOutOfRange(0x7fff_0000, _) = $0 { true } else { false } }),
]

@Suite("Malformed BTF gets typed errors")
struct MalformedBTFTests {
    @Test("one error class per corruption", arguments: btfCorruptions)
    func corruption(_ c: BTFCorruption) {
        var bytes = SampleBTF.bytes()
        c.mutate(&bytes)
        switch readAndDump(bytes) {
        case .success: Issue.record("\(c.name) was accepted")
        case let .failure(error): #expect(c.expect(error.reason), "\(c.name): got \(error)")
        }
    }

    @Test("every truncation is rejected or read, never trapped")
    func prefixes() {
        let bytes = SampleBTF.bytes()
        for length in 0..<bytes.count {
            if case .success = readAndDump(Array(bytes[..<length])) { Issue.record("prefix \(length) accepted") }
        }
    }

    @Test("a type id past the end and id 0 are typed errors, also when a DATASEC names one")
    func ids() throws {
        var bytes = SampleBTF.bytes()
        // The DATASEC is type 10; its single entry's type id starts 12 bytes after its header.
        bytes.patch(0x0fff_ffff, at: typesStart + [16, 12, 36, 12, 24, 28, 20, 12, 16].reduce(0, +) + 12)
        try bytes.withUnsafeBytes { raw in
            let btf = try BTF(unsafeBytes: raw)
            let variable = try #require(try btf.type(10).variables.first)
            #expect(throws: BTFError(.typeIDOutOfRange(0x0fff_ffff, count: 19), typeID: 0x0fff_ffff)) {
                try btf.type(variable.type)
            }
            #expect(throws: BTFError(.typeIDOutOfRange(19, count: 19), typeID: 19)) { try btf.type(19) }
            #expect(throws: BTFError.self) { try btf.type(0) }
        }
    }

    @Test("typedef loops and runaway array sizes are errors, not hangs")
    func loopsAndSizes() throws {
        var b = BTFBuilder()
        b.add(TypeRecord(kind: .typedef, name: "a", sizeOrType: 2))
        b.add(TypeRecord(kind: .typedef, name: "b", sizeOrType: 1))
        b.add(.int("int", size: 4))
        b.add(TypeRecord(kind: .array, sizeOrType: 0, trailing: [.value(3), .value(3), .value(0x8000_0000)]))
        b.add(TypeRecord(kind: .array, sizeOrType: 0, trailing: [.value(4), .value(3), .value(0x8000_0000)]))
        b.add(.aggregate(.struct, "self", size: 4, members: [("me", 6, 0)]))
        try b.encode().withUnsafeBytes { raw in
            let btf = try BTF(unsafeBytes: raw)
            #expect(throws: BTFError(.referenceLoop(1), typeID: 1)) { try btf.resolve(1) }
            #expect(throws: BTFError(.referenceLoop(1), typeID: 1)) { try btf.size(of: 1) }
            #expect(throws: BTFError(.invalidSize(5), typeID: 5)) { try btf.size(of: 5) }
            #expect(throws: BTFError(.referenceLoop(6), typeID: 6)) { try btf.alignment(of: 6) }
        }
    }

    @Test("split BTF whose base is itself split is refused")
    func nestedBase() throws {
        let baseBytes = SampleBTF.bytes()
        try baseBytes.withUnsafeBytes { baseRaw in
            let base = try BTF(unsafeBytes: baseRaw)
            var split = BTFBuilder()
            split.add(.pointer(to: 3))
            let splitBytes = split.encode()
            try splitBytes.withUnsafeBytes { splitRaw in
                let middle = try BTF(unsafeBytes: splitRaw, base: base)
                #expect(middle.firstID == 19 && middle.endID == 20)
                #expect(try middle.type(19).referencedType == 3)
                #expect(throws: BTFError(.nestedBase)) { try BTF(unsafeBytes: splitRaw, base: middle) }
            }
        }
    }
}
