import ELF64
import Foundation
import TestSupport
import Testing
@testable import swiftbpf

@Suite("swiftbpf inspect")
struct InspectTests {
    static let objects = TestPaths.testDataObjects.map { String($0.split(separator: "/").last!) }

    @Test("sections, relocations and symbols equal llvm-readelf -S -r -s --wide (golden files)", arguments: objects)
    func readelfGolden(object: String) throws {
        let file = try ELFFile(ByteStorage(contentsOfFile: TestPaths.testData + "/obj/" + object))
        let golden = try String(contentsOfFile: TestPaths.testData + "/golden/" + object.replacingOccurrences(of: ".o", with: ".readelf.txt"), encoding: .utf8)
        let ours = try ReadelfListing(file: file).render()
        let diff = zip(ours.split(separator: "\n", omittingEmptySubsequences: false), golden.split(separator: "\n", omittingEmptySubsequences: false))
            .enumerated().first { $0.element.0 != $0.element.1 }
        #expect(ours == golden, "first difference at line \(diff.map { "\($0.offset + 1): ours '\($0.element.0)' vs '\($0.element.1)'" } ?? "end")")
    }

    @Test("--json parses and carries the documented fields")
    func json() throws {
        let file = try ELFFile(ByteStorage(contentsOfFile: TestPaths.testData + "/obj/multi.bpfeb.o"))
        let text = try Inspect.json(file, path: "multi.bpfeb.o").rendered()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let header = try #require(object["header"] as? [String: Any])
        #expect(header["byteOrder"] as? String == "big")
        #expect(header["machine"] as? String == "EM_BPF")
        let sections = try #require(object["sections"] as? [[String: Any]])
        #expect(sections.count == header["sectionCount"] as? Int)
        #expect(sections.contains { $0["name"] as? String == ".maps" && $0["type"] as? String == "PROGBITS" })
        let symbols = try #require(object["symbols"] as? [[String: Any]])
        #expect(symbols.contains { $0["name"] as? String == "xdp_pass" && $0["type"] as? String == "FUNC" && $0["binding"] as? String == "GLOBAL" })
        let relocations = try #require(object["relocationSections"] as? [[String: Any]])
        let socket = try #require(relocations.first { $0["name"] as? String == ".relsocket" })
        #expect((socket["relocations"] as? [[String: Any]])?.count == socket["count"] as? Int)
    }

    @Test("JSON strings are escaped")
    func escaping() {
        #expect(JSON.string("a\"b\\c\n\u{1}").rendered() == #""a\"b\\c\n\u0001""#)
    }

    @Test("options: unknown ones and missing values are usage errors")
    func arguments() throws {
        #expect(throws: UsageError.self) { try Arguments(["--bogus"], help: "") }
        #expect(throws: UsageError.self) { try Arguments(["--pin-dir"], valued: ["pin-dir"], help: "") }
        let args = try Arguments(["a.o", "--json", "--pin-dir=/x", "--", "--literal"], valued: ["pin-dir"], flags: ["json"], help: "")
        #expect(args.positionals == ["a.o", "--literal"] && args.flag("json") && args.option("pin-dir") == "/x")
    }
}
