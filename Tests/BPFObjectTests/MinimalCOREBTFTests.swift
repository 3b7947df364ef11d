import BPFObject
import BTF
import ELF64
import Foundation
import ParserHarness
import TestSupport
import Testing

/// `MinimalCOREBTF` (`swiftbpf gen min_core_btf`) against `bpftool gen min_core_btf`, and the
/// promise of the minimised BTF: objects relocate against it as against the full one.
@Suite(
    "Minimal CO-RE BTF, against bpftool gen min_core_btf",
    .enabled(
        if: (FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") && Host.find("bpftool") != nil)
            || Host.required, "no kernel BTF or no bpftool"))
struct MinimalCOREBTFTests {
    static let vmlinuxPath = "/sys/kernel/btf/vmlinux"
    static let vmlinux: BTF? = try? BTF(contentsOfFile: vmlinuxPath)

    /// The TestData objects with CO-RE relocations.
    static var coreObjects: [String] {
        TestPaths.testDataObjects.filter { path in
            guard path.hasSuffix(".bpfel.o"), let spec = try? ObjectSpec(contentsOfFile: path) else { return false }
            return spec.btfExt?.coreRelocations.isEmpty == false
        }
    }

    static func dump(_ btf: BTF) throws -> String {
        var text = ""
        try btf.dumpRaw(to: &text)
        return text
    }

    /// Ours, raw-dumped.
    static func ours(_ paths: [String]) throws -> String {
        var minimal = MinimalCOREBTF(target: try #require(vmlinux))
        for path in paths {
            let file = try ELFFile(ByteStorage(contentsOfFile: path))
            let btf = try BTF(elf: file)
            try minimal.add(btf: btf, ext: try #require(try BTFExt(elf: file, btf: btf)))
        }
        return try minimal.minimized().encode().withUnsafeBytes { try dump(BTF(unsafeBytes: $0)) }
    }

    /// bpftool's, raw-dumped; nil where bpftool refuses the objects.
    static func theirs(_ paths: [String]) throws -> String? {
        let output = NSTemporaryDirectory() + "swiftbpf-min-core-\(getpid())-\(UUID().uuidString.prefix(8)).btf"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let run = try Host.capture(
            try #require(Host.find("bpftool")), ["gen", "min_core_btf", vmlinuxPath, output] + paths)
        guard run.status == 0 else { return nil }
        return try dump(BTF(contentsOfFile: output))
    }

    @Test("each TestData CO-RE object: the same types, members and ids as bpftool's", arguments: coreObjects)
    func single(_ path: String) throws {
        let theirs = try #require(try Self.theirs([path]), "bpftool minimises \(path)")
        let ours = try Self.ours([path])
        #expect(ours == theirs)
        #expect(!ours.isEmpty)
    }

    @Test("all TestData CO-RE objects at once: one BTF for all, as bpftool's")
    func together() throws {
        let paths = Self.coreObjects
        #expect(paths.count >= 4)
        #expect(try Self.ours(paths) == Self.theirs(paths))
    }

    @Test("the shared corpus's CO-RE objects: each minimised as bpftool minimises it")
    func corpus() throws {
        var compared = 0
        for (relative, path) in TestPaths.corpusFiles where relative.hasSuffix(".o") {
            guard let file = try? ELFFile(ByteStorage(contentsOfFile: path)), file.byteOrder == .host,
                let btf = try? BTF(elf: file), let ext = try? BTFExt(elf: file, btf: btf), !ext.coreRelocations.isEmpty
            else { continue }
            guard let theirs = try Self.theirs([path]) else { continue }
            #expect(try Self.ours([path]) == theirs, "\(relative)")
            compared += 1
        }
        print("corpus: \(compared) CO-RE objects minimised alike")
    }

    @Test(
        "relocated against the minimised BTF, every program's instructions equal those relocated against vmlinux",
        arguments: coreObjects)
    func relocatesAlike(_ path: String) throws {
        let vmlinux = try #require(Self.vmlinux)
        var full = try ObjectSpec(contentsOfFile: path)
        var minimal = MinimalCOREBTF(target: vmlinux)
        try minimal.add(full)
        let bytes = try minimal.minimized().encode()
        try bytes.withUnsafeBytes { raw in
            let small = try BTF(unsafeBytes: raw)
            #expect(small.ownTypeCount < vmlinux.ownTypeCount / 10)
            var reduced = full
            let a = try full.relocateCORE(against: [vmlinux]), b = try reduced.relocateCORE(against: [small])
            #expect(a.map(\.value) == b.map(\.value))
            #expect(a.contains { $0.value != nil })
            #expect(full.programs.map(\.instructions) == reduced.programs.map(\.instructions))
        }
    }

    @Test("CO-RE candidates by essential name, as libbpf: a flavored target (foo___v2) matches foo")
    func flavoredTarget() throws {
        for (local, target, expected) in [
            ("foo", "foo___v2", UInt64?(4)), ("foo___local", "foo", 4), ("foo", "foobar", nil), ("foo", "foo__x", nil),
        ] {
            let (object, targetBytes) = SyntheticObjects.coreFlavoredTarget(local: local, target: target)
            var spec = try openSpec(object)
            try targetBytes.withUnsafeBytes { raw in
                let btf = try BTF(unsafeBytes: raw)
                let outcomes = try spec.relocateCORE(against: [btf])
                #expect(outcomes.map(\.value) == [expected], "\(local) against \(target)")
                var minimal = MinimalCOREBTF(target: btf)
                try minimal.add(spec)
                #expect(try minimal.minimized().types.count == (expected == nil ? 0 : 2), "\(local) against \(target)")
            }
        }
    }

    @Test("type relocations over a DAG of prototypes (width^depth paths): marking is linear in depth")
    func prototypeDAG() throws {
        let ratio = Scaling.ratio(1, make: { SyntheticObjects.coreOverPrototypeDAG(depth: $0 + 2, width: 2) }) {
            bytes in
            guard let spec = try? openSpec(bytes), let btf = spec.btf else {
                Issue.record("the synthetic object does not open"); return
            }
            var minimal = MinimalCOREBTF(target: btf)
            do { try minimal.add(spec) } catch { Issue.record("\(error)") }
        }
        #expect(ratio < 16, "at 8× the depth: \(ratio)× the time")
        let spec = try openSpec(SyntheticObjects.coreOverPrototypeDAG(depth: 14, width: 8))
        var minimal = MinimalCOREBTF(target: try #require(spec.btf))
        try minimal.add(spec)
        #expect(try minimal.minimized().types.count > 14)
    }
}
