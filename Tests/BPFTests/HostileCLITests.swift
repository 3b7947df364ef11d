import Foundation
import ParserHarness
import TestSupport
import Testing

/// Every hostile object the generators build, through every verb that reads objects:
/// a typed error (exit 1 with a message) or a result, never a signal, and no pin left behind.
extension KernelTests {
    @Suite("swiftbpf on hostile objects", kernelTrait, .serialized)
    struct HostileCLITests {
        static func object(_ name: String) -> [UInt8] {
            (try? Array(Data(contentsOf: URL(fileURLWithPath: TestPaths.testData + "/obj/" + name)))) ?? []
        }

        static let escaping = "aaaaaaaaaaaaaaa/../../escape"

        /// (what it is, the bytes, whether `prog load` must refuse it).
        static var cases: [(String, [UInt8]?, Bool)] {
            [
                ("second symbol table", HostileObjects.secondSymbolTable(object("multi.bpfel.o")), true),
                (
                    "second dynamic symbol table",
                    HostileObjects.secondSymbolTable(object("counter.bpfel.o"), dynamic: true), true
                ),
                ("recursive map definition", HostileObjects.recursiveMapDefinition(object("maps.bpfel.o")), true),
                (
                    "oversized slot values",
                    HostileObjects.rewrittenMapMember(
                        object("maps.bpfel.o"), map: "jumps", member: "max_entries",
                        renamed: "value_size", typeOf: "max_entries", in: "hash"), true
                ),
                ("0-byte kconfig extern", HostileObjects.zeroSizeKconfigExtern(object("kconfig.bpfel.o")), true),
                // The kernel takes the first 15 characters (no '/' among them); the pin path took the whole name.
                (
                    "program named past the pin directory",
                    HostileObjects.renamedSymbol(object("minimal.bpfel.o"), "accept_all", to: Self.escaping), true
                ),
                (
                    "ld_imm64 naming descriptor 3",
                    HostileObjects.pseudoSourceWithoutRelocation(object("multi.bpfel.o"), source: 1, immediate: 3), true
                ),
                (
                    "access string through a self-containing struct",
                    SyntheticObjects.coreThroughSelfContainingStruct(steps: 200, records: 50), true
                ),
                // These load: CO-RE finds no dag_fn in the kernel (type_exists = 0), the calls link.
                ("CO-RE over a prototype DAG", SyntheticObjects.coreOverPrototypeDAG(depth: 14, width: 8), false),
                (
                    "200 calls to 200 functions (the verifier's limit is 256 subprograms)",
                    SyntheticObjects.manyCalls(count: 200, legacyMapSections: 4), false
                ),
                // Raw BTF files: btf dump reads them (the object verbs refuse them as not ELF).
                ("colliding names (raw BTF)", HostileBTF.collidingNames(count: 20_000), true),
                ("anonymous struct DAG (raw BTF)", HostileBTF.anonymousDAG(depth: 28).blob, true),
                ("nested unions (raw BTF)", HostileBTF.anonymousDAG(depth: 15, width: 8, kind: .union).blob, true),
            ]
        }

        @Test(
            "inspect, disasm, btf dump and prog load end in an exit, never a signal, within seconds", arguments: 0..<13)
        func verbs(_ index: Int) throws {
            let (what, built, refused) = Self.cases[index]
            let bytes = try #require(built, "the generator applies to its TestData object: \(what)")
            #expect(Host.ensureBPFFS())
            let file = NSTemporaryDirectory() + "hostile-\(getpid())-\(index).o"
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            defer { unlink(file) }
            let dir = "/sys/fs/bpf/swiftbpf-hostile-\(getpid())-\(index)/a/b"
            // A directory an escaping name can walk through (a layout the attacker knows).
            try FileManager.default.createDirectory(atPath: dir + "/aaaaaaaaaaaaaaa", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: "/sys/fs/bpf/swiftbpf-hostile-\(getpid())-\(index)") }
            for verb in [
                ["inspect", file], ["disasm", file], ["disasm", file, "--relocated"], ["btf", "dump", file],
                ["btf", "dump", file, "--format", "c"], ["prog", "load", file, "--pin-dir", dir],
            ] {
                let start = ContinuousClock.now
                let run = try Host.captureEnding(Host.swiftbpf, verb)
                #expect(
                    ContinuousClock.now - start < .seconds(10), "\(what): \(verb.joined(separator: " ")) took too long")
                #expect(!run.signaled, "\(what): swiftbpf \(verb.joined(separator: " ")) ended by signal \(run.status)")
                #expect(
                    run.status == 0 || (run.status == 1 && !run.err.isEmpty),
                    "\(what): \(verb[0]) exit \(run.status) \(run.err)")
                if verb[0] == "prog" {
                    #expect(
                        (run.status == 1) == refused,
                        "\(what): the load must \(refused ? "be refused" : "succeed"): \(run.err)")
                }
            }
            // Nothing was pinned above the directory; inside it, only what loaded.
            #expect(
                (try? FileManager.default.contentsOfDirectory(atPath: dir).sorted()) == ["aaaaaaaaaaaaaaa"]
                    + (refused ? [] : ["entry"]))
            #expect((try? FileManager.default.contentsOfDirectory(atPath: dir + "/aaaaaaaaaaaaaaa")) == [])
            #expect(
                !FileManager.default.fileExists(atPath: "/sys/fs/bpf/swiftbpf-hostile-\(getpid())-\(index)/a/escape"))
        }

        @Test("a program name refused by --pin-dir is refused before the load: no map pinned by name stays behind")
        func refusedBeforeMapPins() throws {
            #expect(Host.ensureBPFFS())
            let bytes = try #require(
                HostileObjects.renamedSymbol(Self.object("pinned.bpfel.o"), "bump", to: Self.escaping))
            let file = NSTemporaryDirectory() + "hostile-pinned-\(getpid()).o"
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            defer { unlink(file) }
            let pins = ["/sys/fs/bpf/shared_counts", "/sys/fs/bpf/shared_flags"]
            try #require(
                pins.allSatisfy { !FileManager.default.fileExists(atPath: $0) }, "maps already pinned by someone else")
            let dir = "/sys/fs/bpf/swiftbpf-hostile-pins-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: dir); for pin in pins { unlink(pin) } }
            let run = try Host.captureEnding(Host.swiftbpf, ["prog", "load", file, "--pin-dir", dir])
            #expect(run.status == 1 && run.err.contains("not one path component"), "\(run.err)")
            #expect(pins.allSatisfy { !FileManager.default.fileExists(atPath: $0) }, "a map pinned by name stayed")
            #expect(!FileManager.default.fileExists(atPath: dir))
        }

        @Test("disasm --relocated over N entry programs links each by its index: linear, not N lookups by name")
        func relocatedListingIsLinear() throws {
            let small = NSTemporaryDirectory() + "entries-small-\(getpid()).o",
                large = NSTemporaryDirectory() + "entries-large-\(getpid()).o"
            try Data(SyntheticObjects.manyEntries(count: 2_000)).write(to: URL(fileURLWithPath: small))
            try Data(SyntheticObjects.manyEntries(count: 16_000)).write(to: URL(fileURLWithPath: large))
            defer { unlink(small); unlink(large) }
            func seconds(_ file: String) throws -> Double {
                let start = ContinuousClock.now
                let run = try Host.captureEnding(Host.swiftbpf, ["disasm", "--relocated", file])
                #expect(run.status == 0, "\(run.err)")
                let elapsed = ContinuousClock.now - start
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
            // The process's start is in both: the quadratic walk took 53× at these sizes.
            let ratio = try seconds(large) / seconds(small)
            #expect(ratio < 16, "at 8× the programs: \(ratio)× the time")
        }

        @Test("disasm --relocated over N programs sharing an N-instruction function lists it once: linear output")
        func sharedSubprogramListedOnce() throws {
            func run(_ n: Int) throws -> (seconds: Double, lines: Int) {
                let file = NSTemporaryDirectory() + "shared-\(getpid())-\(n).o"
                try Data(SyntheticObjects.sharedSubprogram(entries: n, size: n)).write(to: URL(fileURLWithPath: file))
                defer { unlink(file) }
                let start = ContinuousClock.now
                let result = try Host.captureEnding(Host.swiftbpf, ["disasm", "--relocated", file])
                let elapsed = ContinuousClock.now - start
                #expect(result.status == 0, "\(result.err)")
                return (
                    Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                    result.out.split(separator: "\n").count
                )
            }
            // N programs of 3 instructions and one N-instruction function, each line once: ~5N lines
            // (listing every copy printed N² lines). Linking still copies the function into each
            // program, as a load must: that work is the programs' total size, not the listing's.
            let large = try run(2_400)
            #expect(large.lines < 6 * 2_400 + 100, "\(large.lines) lines for 2,400 programs")
        }
    }
}
