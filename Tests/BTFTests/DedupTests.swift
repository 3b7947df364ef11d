import BTF
import ELF64
import Foundation
import TestSupport
import Testing

/// BTF deduplication against libbpf's `btf__dedup` (Tests/Reference/btf-dedup.c, built here with cc).
@Suite(
    "BTF dedup, against libbpf",
    .enabled(
        if: (Host.find("cc") != nil && FileManager.default.fileExists(atPath: "/usr/include/bpf/btf.h"))
            || Host.required, "cc and libbpf-dev are not installed"))
struct DedupTests {
    /// libbpf's side, built once per run.
    static let reference: String? = {
        let output = NSTemporaryDirectory() + "swiftbpf-btf-dedup-\(getpid())"
        let result = try? Host.capture(
            Host.find("cc") ?? "cc", ["-O2", "-o", output, TestPaths.root + "/Tests/Reference/btf-dedup.c", "-lbpf"])
        return result?.status == 0 ? output : nil
    }()

    /// libbpf's deduplication of `inputs` concatenated, raw-dumped.
    static func theirs(_ inputs: [String], base: String? = nil) throws -> String {
        let reference = try #require(Self.reference, "the reference program builds")
        let output = NSTemporaryDirectory() + "swiftbpf-dedup-\(getpid())-\(UUID().uuidString.prefix(8)).btf"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let run = try Host.capture(reference, (base.map { ["--base", $0] } ?? []) + [output] + inputs)
        try #require(run.status == 0, "libbpf: \(run.err)")
        let baseBTF = try base.map { try BTF(contentsOfFile: $0) }
        return try dump(BTF(contentsOfFile: output, base: baseBTF))
    }

    /// Ours, raw-dumped.
    static func ours(_ inputs: [String], base: String? = nil) throws -> String {
        let baseBTF = try base.map { try BTF(contentsOfFile: $0) }
        let btfs = try inputs.map { path in
            path.hasSuffix(".o")
                ? try BTF(elf: try ELFFile(ByteStorage(contentsOfFile: path)))
                : try BTF(
                    contentsOfFile: path, base: baseBTF)
        }
        let result = try BTF.deduplicating(btfs, base: baseBTF)
        let bytes = try result.encode()
        return try bytes.withUnsafeBytes { raw in try dump(BTF(unsafeBytes: raw, base: baseBTF)) }
    }

    static func dump(_ btf: BTF) throws -> String {
        var text = ""
        try btf.dumpRaw(to: &text)
        return text
    }

    static var objects: [String] {
        let dir = TestPaths.testData + "/obj/"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".bpfel.o") }
            .sorted().map { dir + $0 }
    }

    @Test("each TestData object's BTF: the same types, ids and names as libbpf's", arguments: objects)
    func single(_ path: String) throws {
        let theirs = try Self.theirs([path]), ours = try Self.ours([path])
        #expect(ours == theirs, "\(path)")
    }

    @Test("every TestData object's BTF concatenated: one type per equivalent group, as libbpf")
    func concatenated() throws {
        let theirs = try Self.theirs(Self.objects), ours = try Self.ours(Self.objects)
        #expect(ours.split(separator: "\n").count == theirs.split(separator: "\n").count)
        #expect(ours == theirs)
    }
}

extension DedupTests {
    @Test("vmlinux, alone and twice over: libbpf's types exactly")
    func vmlinux() throws {
        let path = "/sys/kernel/btf/vmlinux"
        guard FileManager.default.fileExists(atPath: path) else {
            #expect(!Host.required, "kernel BTF is required in CI")
            return
        }
        let once = try Self.ours([path])
        #expect(once == (try Self.theirs([path])))
        let twice = try Self.ours([path, path])
        #expect(twice == (try Self.theirs([path, path])))
    }

    @Test(
        "the shared corpus's objects, each and all together",
        .enabled(if: !TestPaths.corpusFiles.isEmpty || Host.required))
    func corpus() throws {
        let objects = TestPaths.corpusFiles.map(\.path).filter { path in
            guard path.hasSuffix(".o") || path.hasSuffix(".elf"),
                let elf = try? ELFFile(ByteStorage(contentsOfFile: path)), (try? BTF(elf: elf)) != nil
            else { return false }
            return true
        }
        #expect(!objects.isEmpty)
        var readable: [String] = []
        for path in objects {
            guard let theirs = try? Self.theirs([path]) else { continue }  // libbpf refuses some (old kinds)
            readable.append(path)
            #expect(try Self.ours([path]) == theirs, "\(path)")
        }
        #expect(try Self.ours(readable) == (try Self.theirs(readable)))
    }
}
