import ELF64
import Foundation
import TestSupport
import Testing

@Suite("Public corpus (../shared/corpus, when present)")
struct CorpusTests {
    @Test("every file is opened and walked without a trap; valid objects open")
    func walkCorpus() throws {
        let files = TestPaths.corpusFiles
        if let missing = Host.missing("../shared/corpus", present: !files.isEmpty) {
            Issue.record(Comment(rawValue: missing))
        }
        guard !files.isEmpty else { return }
        var opened = 0, rejected: [String: Int] = [:], unexpected: [String] = []
        for (relative, path) in files {
            let storage = try ByteStorage(contentsOfFile: path)
            if let error = openAndWalk(Array(storage.bytes)) {
                rejected["\(error.reason)".prefix(while: { $0 != "(" }).description, default: 0] += 1
                // Objects outside invalid/ that carry the ELF magic are real compiler output: they must open.
                if !relative.contains("invalid"), storage.bytes.starts(with: [0x7f, 0x45, 0x4c, 0x46]) {
                    unexpected.append("\(relative): \(error)")
                }
            } else {
                opened += 1
            }
        }
        print(
            "corpus: \(opened) opened, \(rejected.values.reduce(0, +)) rejected \(rejected.sorted { $0.key < $1.key })")
        #expect(opened > 200, "the corpus holds over 200 objects")
        #expect(unexpected.isEmpty, "\(unexpected)")
    }
}
