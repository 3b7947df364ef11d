@testable import BTF
import ELF64
import Foundation
import TestSupport
import Testing

@Suite("BTF reader")
struct ReaderTests {
    @Test("every kind decodes, in both byte orders, to what bpftool would print", arguments: [ByteOrder.little, .big])
    func everyKind(order: ByteOrder) throws {
        let bytes = SampleBTF.bytes(order)
        #expect(try readAndDump(bytes).get() == SampleBTF.rawDump)
        try bytes.withUnsafeBytes { raw in
            let btf = try BTF(unsafeBytes: raw)
            #expect(btf.byteOrder == order && btf.firstID == 1 && btf.endID == 19)
            let pair = try btf.type(3)
            #expect(pair.kind == .struct && pair.name == "pair" && pair.size == 8)
            #expect(pair.members.map { "\($0.name):\($0.type)@\($0.bitOffset)" } == ["a:1@0", "b:1@32"])
            #expect(try btf.type(6).enumerators.map(\.signedValue) == [0, -1])
            #expect(try btf.type(13).enumerators.first?.value == 0x1_0000_0002)
            #expect(try btf.type(15).componentIndex == -1)
            #expect(try btf.type(1).intInfo.encoding == .signed)
        }
    }

    @Test("resolve, size and alignment")
    func layout() throws {
        try SampleBTF.bytes().withUnsafeBytes { raw in
            let btf = try BTF(unsafeBytes: raw)
            #expect(try btf.resolve(4) == 3)
            #expect(try btf.resolve(11) == 1)
            #expect(try btf.size(of: 4) == 8)
            #expect(try btf.size(of: 5) == 16)
            #expect(try btf.size(of: 2) == 8)
            #expect(try btf.size(of: 9) == 4)
            #expect(try btf.alignment(of: 3) == 4)
            #expect(try btf.alignment(of: 13) == 8)
            #expect(throws: BTFError.self) { try btf.size(of: 7) }
        }
    }

    @Test("name lookups, with and without a kind")
    func names() throws {
        try SampleBTF.bytes().withUnsafeBytes { raw in
            let btf = try BTF(unsafeBytes: raw)
            #expect(btf.typeIDs(named: "pair") == [3])
            #expect(btf.typeIDs(named: "pair", kind: .typedef) == [])
            #expect(btf.firstTypeID(named: "pair_t", kind: .typedef) == 4)
            #expect(btf.typeIDs(named: "missing").isEmpty)
            #expect(btf.typeIDs(named: "").isEmpty)
        }
    }

    @Test("nested structs reached by many paths: layout and dumps visit each once (2^30 paths here)")
    func sharedNesting() throws {
        var builder = BTFBuilder()
        var inner = builder.add(.int("int", size: 4, encoding: .signed, bits: 32))
        for level in 0..<30 {  // sizes are not summed here: only the shape matters
            inner = builder.add(
                .aggregate(.struct, "s\(level)", size: 8, members: [("a", inner, 0), ("b", inner, 32)]))
        }
        try builder.encode().withUnsafeBytes { raw in
            let btf = try BTF(unsafeBytes: raw)
            #expect(try btf.alignment(of: inner) == 4)
            #expect(try btf.size(of: inner) == 8)
            var header = ""
            try btf.dumpC(to: &header)
            #expect(header.contains("struct s29 {"))
            var rawDump = ""
            try btf.dumpRaw(to: &rawDump)
            #expect(rawDump.contains("'s29'"))
        }
    }

    @Test("the name index: names of every length around its 32-byte blocks, and a name carried by 200,000 types")
    func nameIndexShapes() throws {
        var builder = BTFBuilder()
        let int = builder.add(.int("int", size: 4, encoding: .signed, bits: 32))
        var byLength: [String: TypeID] = [:]
        for length in 1...100 {
            let name = String((0..<length).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
            byLength[name] = builder.add(TypeRecord(kind: .typedef, name: name, sizeOrType: int))
        }
        // Hostile input: one name repeated. Each repeat must cost one probe, or this test would not end.
        let repeated = (0..<200_000).map { _ in builder.add(TypeRecord(kind: .typedef, name: "same", sizeOrType: int)) }
        try builder.encode().withUnsafeBytes { raw in
            let btf = try BTF(unsafeBytes: raw)
            for (name, id) in byLength {
                #expect(btf.typeIDs(named: name) == [id], "\(name.count) bytes")
                #expect(btf.typeIDs(named: name + "_").isEmpty, "\(name.count) bytes + 1")
            }
            #expect(btf.typeIDs(named: "same") == repeated)
            #expect(btf.typeIDs(named: "same", kind: .int).isEmpty)
            #expect(btf.firstTypeID(named: "same", kind: .typedef) == repeated.first)
            #expect(btf.firstTypeID(named: "int") == int)
        }
    }

    @Test(
        "writer round trip: TestData objects re-encode to equal types in either byte order",
        arguments: TestPaths.testDataObjects)
    func roundTrip(path: String) throws {
        let original = try BTF(contentsOfFile: path)
        var expected = ""
        try original.dumpRaw(to: &expected)
        for order in [ByteOrder.little, .big] {
            let bytes = try BTFBuilder(decoding: original).encode(byteOrder: order)
            #expect(try readAndDump(bytes).get() == expected)
        }
    }

    @Test(
        "little- and big-endian builds of one source have equal types",
        arguments: TestPaths.testDataObjects.filter { $0.hasSuffix(".bpfel.o") })
    func byteOrders(little: String) throws {
        let el = try BTF(contentsOfFile: little)
        let eb = try BTF(contentsOfFile: little.replacingOccurrences(of: ".bpfel.o", with: ".bpfeb.o"))
        #expect(el.byteOrder == .little && eb.byteOrder == .big)
        var a = "", b = ""
        try el.dumpRaw(to: &a)
        try eb.dumpRaw(to: &b)
        #expect(a == b && !a.isEmpty)
    }

    @Test(
        "raw dumps of TestData objects equal bpftool's (committed golden files)", arguments: TestPaths.testDataObjects)
    func goldenRaw(path: String) throws {
        let golden = try String(
            contentsOfFile: path.replacingOccurrences(of: "/obj/", with: "/golden/")
                .replacingOccurrences(of: ".o", with: ".btf.txt"), encoding: .utf8)
        var ours = ""
        try BTF(contentsOfFile: path).dumpRaw(to: &ours)
        #expect(ours == golden)
    }

    @Test("the object's DATASECs and BTF-defined maps are present")
    func multiObject() throws {
        let btf = try BTF(contentsOfFile: TestPaths.testData + "/obj/multi.bpfel.o")
        for section in [".maps", ".data", ".rodata", ".bss", ".data.custom", "license"] {
            #expect(btf.firstTypeID(named: section, kind: .dataSection) != nil, "no DATASEC \(section)")
        }
        let funcs = btf.typeIDs(named: "xdp_pass", kind: .function)
        #expect(funcs.count == 1)
        let stats = try #require(btf.firstTypeID(named: "stats", kind: .struct))
        #expect(try btf.size(of: stats) == 16)
    }
}

@Suite("Kind tables")
struct KindTableTests {
    @Test("the packed record-size table agrees with each kind's layout, and unknown kinds are refused")
    func recordSizes() {
        for raw in 0..<32 {
            for vlen in [0, 1, 7, 0xffff] {
                let info = UInt32(raw) << 24 | UInt32(vlen)
                let expected = Kind(rawValue: UInt8(raw)).map { 12 + $0.trailingSize(vlen: vlen) }
                #expect(Kind.recordSize(info: info) == expected, "kind \(raw) vlen \(vlen)")
            }
        }
    }
}

@Suite("Sanitizing BTF for older kernels")
struct SanitizeTests {
    @Test("every optional kind is rewritten; ids and sizes stay; the result reads back")
    func everything() throws {
        var builder = SampleBTF.builder
        builder.sanitize(for: [])
        let bytes = builder.encode()
        let btf = try BTF(ByteStorage(copying: bytes))
        let kinds = try (1..<btf.endID).map { try btf.type($0).kind }
        #expect(
            !kinds.contains(.variable) && !kinds.contains(.dataSection) && !kinds.contains(.function)
                && !kinds.contains(.functionProto) && !kinds.contains(.float) && !kinds.contains(.declTag)
                && !kinds.contains(.typeTag) && !kinds.contains(.enum64))
        #expect(btf.endID == 19)
        #expect(try btf.type(10).kind == .struct && btf.type(10).name == "_data" && btf.size(of: 10) == 4)
        #expect(try btf.type(10).members.first.map { "\($0.name)@\($0.bitOffset)" } == "v@0")
        #expect(try btf.type(8).kind == .typedef && btf.type(7).kind == .enum)
        #expect(try btf.size(of: 13) == 8 && btf.size(of: 14) == 8)
        #expect(try btf.type(16).kind == .const)
    }

    @Test("only global linkage goes when that is all the kernel lacks")
    func globalFunctions() throws {
        var builder = SampleBTF.builder
        builder.sanitize(for: BTFKindSupport.all.subtracting(.globalFunctions))
        let btf = try BTF(ByteStorage(copying: builder.encode()))
        #expect(try btf.type(8).kind == .function && btf.type(8).linkage == Linkage.static.rawValue)
        #expect(try btf.type(13).kind == .enum64)
    }
}
