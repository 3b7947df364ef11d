import Inflate
import Foundation
import TestSupport
import Testing

@Suite("gzip / DEFLATE")
struct InflateTests {
    static func data(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: TestPaths.testData + "/gzip/" + name)))
    }

    @Test(
        "streams made by gzip at levels 1, 6 and 9 (stored, fixed and dynamic blocks) and an empty one",
        arguments: ["sample-1.gz", "sample-6.gz", "sample-9.gz"])
    func levels(_ name: String) throws {
        #expect(try Gzip.decompress(Self.data(name)) == Self.data("sample.bin"))
        #expect(try Gzip.decompress(Self.data("empty.gz")) == [])
    }

    @Test(
        "the in-place reader sees the bytes the copying one returns",
        arguments: ["sample-1.gz", "sample-9.gz", "empty.gz"])
    func inPlace(_ name: String) throws {
        let compressed = try Self.data(name)
        let copy = try Gzip.decompress(compressed)
        #expect(try Gzip.withDecompressed(compressed) { Array($0) } == copy)
        #expect(throws: Gzip.Failure.outputTooLarge(limit: 100)) {
            try Gzip.withDecompressed(try Self.data("sample-9.gz"), limit: 100) { $0.count }
        }
    }

    @Test("a stored block")
    func stored() throws {
        #expect(try Gzip.inflate([0x01, 0x03, 0x00, 0xfc, 0xff, 0x61, 0x62, 0x63]) == Array("abc".utf8))
    }

    @Test(
        "the running kernel's /proc/config.gz",
        .enabled(if: FileManager.default.fileExists(atPath: "/proc/config.gz") || Host.required, "no /proc/config.gz"))
    func kernelConfig() throws {
        let config = try Gzip.decompress(Array(try Data(contentsOf: URL(fileURLWithPath: "/proc/config.gz"))))
        #expect(String(decoding: config, as: UTF8.self).contains("CONFIG_BPF_SYSCALL=y"))
    }

    @Test("corrupt streams are typed errors, never traps or runaway output")
    func corrupt() throws {
        #expect(throws: Gzip.Failure.notGzip) { try Gzip.decompress([UInt8](repeating: 0, count: 20)) }
        #expect(throws: Gzip.Failure.self) { try Gzip.inflate([0x07]) }  // block type 3
        #expect(throws: Gzip.Failure.self) { try Gzip.inflate([0x01, 0x05, 0x00, 0x00, 0x00]) }  // stored length check
        // A fixed-Huffman block that copies from before the output starts.
        #expect(throws: Gzip.Failure.self) { try Gzip.inflate([0x03, 0x02]) }
        // Output beyond the limit, a wrong CRC, and every truncation.
        let compressed = try Self.data("sample-9.gz")
        #expect(throws: Gzip.Failure.outputTooLarge(limit: 1000)) { try Gzip.decompress(compressed, limit: 1000) }
        var flipped = compressed
        flipped[flipped.count - 6] ^= 0xff
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(flipped) }
        for cut in stride(from: 0, to: compressed.count, by: 7) {
            #expect(throws: Gzip.Failure.self) { try Gzip.decompress(Array(compressed.prefix(cut))) }
        }
    }
}
