import BTF
import ELF64
import Foundation
import ParserHarness
import TestSupport
import Testing

/// Crafted BTF where deduplicating as libbpf does depends on its details: the order its growing
/// table gives candidates in, the whole info word, split BTF's string offsets (found by a hostile
/// review; each compared with libbpf's output).
extension DedupTests {
    /// `body` given the paths of `blobs` written to temporary files (removed after).
    static func withFiles<T>(_ blobs: [[UInt8]], _ body: ([String]) throws -> T) throws -> T {
        let run = UUID().uuidString.prefix(8)  // tests run in parallel
        let paths = blobs.indices.map { NSTemporaryDirectory() + "swiftbpf-dedup-case-\(getpid())-\(run)-\($0).btf" }
        defer { for path in paths { try? FileManager.default.removeItem(atPath: path) } }
        for (path, blob) in zip(paths, blobs) { try Data(blob).write(to: URL(fileURLWithPath: path)) }
        return try body(paths)
    }

    @Test(
        "a struct equal to two earlier ones takes the candidate libbpf's table gives first, its chains reversed as it grows",
        arguments: [0, 1, 2, 3, 4, 5, 6, 8, 10, 13, 20, 30, 40, 50, 100, 1000])
    func candidateOrderAcrossGrowth(padding: Int) throws {
        try Self.withFiles([HostileBTF.candidatesAcrossGrowth(padding: padding)]) { paths throws in
            let ours = try Self.ours(paths), theirs = try Self.theirs(paths)
            #expect(ours == theirs, "padding \(padding)")
        }
    }

    @Test("INTs differing in reserved info bits stay apart, as libbpf compares the whole word")
    func reservedInfoBits() throws {
        try Self.withFiles([HostileBTF.reservedInfoBits()]) { paths throws in
            let ours = try Self.ours(paths), theirs = try Self.theirs(paths)
            #expect(ours == theirs)
            #expect(ours.split(separator: "\n").filter { $0.contains("INT 'int'") }.count == 3)
        }
    }

    @Test(
        "split BTF over a base: repeats become the base's types, own names follow the base's strings",
        arguments: [HostileBTF.splitOverBase(), HostileBTF.splitCompletingBaseForward()])
    func splitOverBase(base: [UInt8], split: [UInt8]) throws {
        try Self.withFiles([base, split]) { paths throws in
            let ours = try Self.ours([paths[1]], base: paths[0]), theirs = try Self.theirs([paths[1]], base: paths[0])
            #expect(ours == theirs)
            #expect(ours.contains("TYPEDEF 'T"), "\(ours)")
        }
    }
}
