import BTF
import ELF64
import Foundation
import ParserHarness
import TestSupport
import Testing

/// Every input a fuzzer ever found (crash, timeout, out-of-memory) is kept in
/// `Tests/Regressions/<target>/` and replayed here through the same harness
/// entry point the fuzz target calls: it must end in success or a typed error,
/// quickly, never a trap.
@Suite("Fuzzer reproducers replay")
struct ReplayTests {
    static let directory = TestPaths.root + "/Tests/Regressions"

    static func inputs(_ target: String) -> [String] {
        let dir = directory + "/" + target
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { dir + "/" + $0 }
    }

    static let targets: [(String, @Sendable (UnsafeRawBufferPointer) -> Void)] = [
        ("FuzzELF", { Harness.elf($0) }),
        ("FuzzBTF", { Harness.btf($0) }),
        ("FuzzBTFExt", { Harness.btfExt($0) }),
        ("FuzzDedup", { Harness.dedup($0) }),
        ("FuzzObject", { Harness.object($0) }),
        ("FuzzLink", { Harness.link($0) }),
        ("FuzzKconfig", { Harness.kconfig($0) }),
    ]

    static var cases: [String] { targets.flatMap { target in inputs(target.0) } }

    @Test(
        "every target keeps reproducers: a missing or empty directory means they were lost", arguments: targets.map(\.0)
    )
    func reproducersPresent(target: String) {
        #expect(!Self.inputs(target).isEmpty, "Tests/Regressions/\(target) is missing or empty")
    }

    @Test("each reproducer reads or is rejected within a second", arguments: cases)
    func replay(path: String) throws {
        let target = try #require(Self.targets.first { path.contains("/\($0.0)/") })
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let start = ContinuousClock.now
        bytes.withUnsafeBytes { target.1($0) }
        #expect(ContinuousClock.now - start < .seconds(1), "\(path) took too long")
    }
}
