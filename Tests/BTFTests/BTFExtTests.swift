import BTF
import ELF64
import TestSupport
import Testing

@Suite("BTF.ext")
struct BTFExtTests {
    @Test("func_info and line_info per section of multi.bpf.c, in both byte orders", arguments: ["el", "eb"])
    func multi(order: String) throws {
        let elf = try ELFFile(ByteStorage(contentsOfFile: TestPaths.testData + "/obj/multi.bpf\(order).o"))
        let btf = try BTF(elf: elf)
        let ext = try #require(try BTFExt(elf: elf, btf: btf))
        let functions = Dictionary(uniqueKeysWithValues: ext.functionInfo.map { (String($0.name), $0.records) })
        #expect(Set(functions.keys) == [".text", "socket", "xdp", "tracepoint/syscalls/sys_enter_openat", "tc"])
        // Two programs share the xdp section; .text holds the two subprograms.
        let xdp = try #require(functions["xdp"])
        #expect(xdp.count == 2)
        #expect(try xdp.map { String(try btf.type($0.typeID).name) } == ["xdp_pass", "xdp_drop_large"])
        #expect(xdp[0].instructionOffset == 0 && xdp[1].instructionOffset > 0)
        #expect(try #require(functions[".text"]).count == 2)
        let lines = try #require(ext.lineInfo.first { $0.name == "socket" })
        #expect(lines.records.count > 3)
        let first = try #require(lines.records.first)
        #expect(try btf.string(at: first.fileNameOffset).hasPrefix("") && first.line > 0)
        #expect(String(try btf.string(at: first.fileNameOffset)).hasSuffix("multi.bpf.c"))
        #expect(ext.coreRelocations.isEmpty)
    }

    /// A `.BTF.ext` with one func_info section of one record of `recordSize` bytes, naming section "s".
    static func blob(recordSize: UInt32, count: UInt32 = 1, nameOffset: UInt32 = 1) -> [UInt8] {
        var words: [UInt32] = [32, 0, 20, 20, 0, 0, 0]  // hdr_len, func_info off/len, line_info off/len, core off/len
        words += [recordSize, nameOffset, count]
        words += Array(repeating: 0, count: Int(recordSize / 4))
        var bytes: [UInt8] = [0x9f, 0xeb, 1, 0]
        for w in words { Swift.withUnsafeBytes(of: w.littleEndian) { bytes += $0 } }
        let infoLength = UInt32(bytes.count - 32)
        bytes.patch(infoLength, at: 12)
        return bytes
    }

    static let btf: BTF = {
        var b = BTFBuilder()
        b.add(TypeRecord(kind: .int, name: "s", sizeOrType: 4, trailing: [.value(32)]))
        return try! BTF(ByteStorage(copying: b.encode()))
    }()

    static func read(_ ext: [UInt8]) throws -> Int {
        try ext.withUnsafeBytes { try BTFExt(unsafeBytes: $0, btf: btf).functionInfo.first?.records.count ?? 0 }
    }

    @Test("a larger record size from a newer compiler is accepted; a smaller one is refused")
    func recordSizes() throws {
        #expect(try Self.read(Self.blob(recordSize: 8)) == 1)
        #expect(try Self.read(Self.blob(recordSize: 12)) == 1)
        #expect(throws: BTFError(.recordTooSmall(4, minimum: 8), offset: 32)) {
            try Self.read(Self.blob(recordSize: 4))
        }
    }

    @Test("record counts past the end and bad section names are typed errors")
    func malformed() {
        #expect(throws: BTFError.self) { try Self.read(Self.blob(recordSize: 8, count: 0x2000_0000)) }
        #expect(throws: BTFError(.stringOffsetOutOfRange(999, size: 3))) {
            try Self.read(Self.blob(recordSize: 8, nameOffset: 999))
        }
        var badHeader = Self.blob(recordSize: 8)
        badHeader.patch(4, at: 4)
        #expect(throws: BTFError(.badHeaderLength(4), offset: 4)) { try Self.read(badHeader) }
    }
}
