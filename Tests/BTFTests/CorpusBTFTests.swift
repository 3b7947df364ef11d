import BTF
import ELF64
import Foundation
import TestSupport
import Testing

@Suite("Public corpus BTF (../shared/corpus, when present)")
struct CorpusBTFTests {
    @Test("every .BTF section and raw blob reads without a trap; counts by outcome")
    func everyBlob() throws {
        let files = TestPaths.corpusFiles
        if let missing = Host.missing("../shared/corpus", present: !files.isEmpty) {
            Issue.record(Comment(rawValue: missing))
        }
        guard !files.isEmpty else { return }
        var read = 0, rejected: [String] = [], invalidRejected = 0, noBTF = 0, extRead = 0
        for (relative, path) in files {
            let storage = try ByteStorage(contentsOfFile: path)
            guard let elf = try? ELFFile(storage) else { continue }
            guard elf.section(named: ".BTF") != nil else { noBTF += 1; continue }
            do {
                let btf = try BTF(elf: elf)
                var text = ""
                try btf.dumpRaw(to: &text)
                if try BTFExt(elf: elf, btf: btf) != nil { extRead += 1 }
                read += 1
            } catch {
                // Fuzzer-found files under invalid/ may be rejected; compiler output may not.
                if relative.contains("/invalid/") {
                    invalidRejected += 1
                } else {
                    rejected.append("\(relative): \(error)")
                }
            }
        }
        print(
            "corpus BTF: \(read) read (\(extRead) with .BTF.ext), \(invalidRejected + rejected.count) rejected (\(invalidRejected) under invalid/), \(noBTF) without .BTF"
        )
        #expect(read > 150)
        #expect(rejected.isEmpty, "\(rejected)")
    }

    @Test("split BTF: btf_testmod over its base, ids and strings continuing the base's")
    func splitPair() throws {
        let dir = TestPaths.corpus + "/cilium-ebpf/btf/testdata/"
        let present = FileManager.default.fileExists(atPath: dir + "btf_testmod.btf")
        if let missing = Host.missing("../shared/corpus", present: present) { Issue.record(Comment(rawValue: missing)) }
        guard present else { return }
        let base = try BTF(contentsOfFile: dir + "btf_testmod.btf.base")
        let module = try BTF(contentsOfFile: dir + "btf_testmod.btf", base: base)
        #expect(module.firstID == base.endID)
        var text = ""
        try module.dumpRaw(to: &text)
        #expect(text.hasPrefix("[\(base.endID)] "))
        // Names resolve across the pair: a base type found through the module, and a module type.
        let int = try #require(module.firstTypeID(named: "int", kind: .int))
        #expect(int < base.endID)
        let ids = module.typeIDs(named: "bpf_testmod_test_read_ctx", kind: .struct)
        #expect(ids.count == 1 && ids[0] >= module.firstID)
        // Without its base the module's strings do not start with NUL: a typed error.
        #expect(throws: BTFError.self) { try BTF(contentsOfFile: dir + "btf_testmod.btf") }
    }

    @Test(
        "cilium's gzipped vmlinux BTF reads whole",
        .enabled(if: Host.find("gzip") != nil || Host.required, "gzip is not installed"))
    func gzippedVmlinux() throws {
        let path = TestPaths.corpus + "/cilium-ebpf/btf/testdata/vmlinux.btf.gz"
        let present = FileManager.default.fileExists(atPath: path)
        if let missing = Host.missing("../shared/corpus", present: present) { Issue.record(Comment(rawValue: missing)) }
        guard present else { return }
        let (data, status) = try Host.run(try #require(Host.find("gzip")), ["-dc", path])
        #expect(status == 0)
        let btf = try BTF(ByteStorage(copying: data))
        #expect(btf.ownTypeCount > 10_000)
        #expect(btf.typeIDs(named: "task_struct", kind: .struct).count == 1)
        var text = ""
        try btf.dumpRaw(to: &text)
    }
}
