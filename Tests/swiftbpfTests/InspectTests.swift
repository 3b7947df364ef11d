import BPFObject
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
        let golden = try String(
            contentsOfFile: TestPaths.testData + "/golden/"
                + object.replacingOccurrences(of: ".o", with: ".readelf.txt"), encoding: .utf8)
        var ours = ""
        _ = ReadelfListing(file: file).render(to: &ours)
        let diff = zip(
            ours.split(separator: "\n", omittingEmptySubsequences: false),
            golden.split(separator: "\n", omittingEmptySubsequences: false)
        )
        .enumerated().first { $0.element.0 != $0.element.1 }
        #expect(
            ours == golden,
            "first difference at line \(diff.map { "\($0.offset + 1): ours '\($0.element.0)' vs '\($0.element.1)'" } ?? "end")"
        )
    }

    @Test("--json parses and carries the documented fields")
    func json() throws {
        let file = try ELFFile(ByteStorage(contentsOfFile: TestPaths.testData + "/obj/multi.bpfeb.o"))
        var problems: [ELFError] = []
        let text = try Inspect.json(file, path: "multi.bpfeb.o", problems: &problems).rendered()
        #expect(problems.isEmpty)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let header = try #require(object["header"] as? [String: Any])
        #expect(header["byteOrder"] as? String == "big")
        #expect(header["machine"] as? String == "EM_BPF")
        let sections = try #require(object["sections"] as? [[String: Any]])
        #expect(sections.count == header["sectionCount"] as? Int)
        #expect(sections.contains { $0["name"] as? String == ".maps" && $0["type"] as? String == "PROGBITS" })
        let symbols = try #require(object["symbols"] as? [[String: Any]])
        #expect(
            symbols.contains {
                $0["name"] as? String == "xdp_pass" && $0["type"] as? String == "FUNC"
                    && $0["binding"] as? String == "GLOBAL"
            })
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
        let args = try Arguments(
            ["a.o", "--json", "--pin-dir=/x", "--", "--literal"], valued: ["pin-dir"], flags: ["json"], help: "")
        #expect(args.positionals == ["a.o", "--literal"] && args.flag("json") && args.option("pin-dir") == "/x")
    }
}

/// `inspect` lists every ELF file llvm-readelf reads, BPF spec or not.
@Suite("swiftbpf inspect beside llvm-readelf")
struct InspectCoverageTests {
    @Test("every TestData and corpus object llvm-readelf lists is listed whole (sections, relocations, symbols)")
    func listsWhatReadelfReads() throws {
        let readelf = Host.find("llvm-readelf")
        try #require(readelf != nil || !Host.required, "llvm-readelf is required under SWIFTBPF_REQUIRE_KERNEL=1")
        try #require(
            !TestPaths.corpusFiles.isEmpty || !Host.required,
            "../shared/corpus is required under SWIFTBPF_REQUIRE_KERNEL=1")
        guard let readelf else { return }
        var files = TestPaths.testDataObjects
        for (_, path) in TestPaths.corpusFiles {
            guard let handle = FileHandle(forReadingAtPath: path), let magic = try handle.read(upToCount: 4) else {
                continue
            }
            if Array(magic) == [0x7f, 0x45, 0x4c, 0x46] { files.append(path) }
        }
        var listed = 0, warned = 0, notSpecs: [String] = []
        for path in files {
            let reference = try Host.capture(readelf, ["-h", "-S", "-r", "-s", "--wide", path])
            guard reference.status == 0 else { continue }
            let file = try ELFFile(ByteStorage(contentsOfFile: path))
            var text = ""
            let listing = (problems: ReadelfListing(file: file).render(to: &text), text: text)
            // Listed whole where llvm-readelf reads without a warning; where it warns (corrupt symbol
            // tables in ebpf-samples/invalid), the rest is listed and each unreadable part named in place.
            #expect(
                listing.problems.isEmpty == reference.err.isEmpty,
                "\(path): \(listing.problems) vs \(reference.err.prefix(300))")
            #expect(
                listing.text.contains("Section Headers:")
                    && listing.text.split(separator: "\n").count >= file.header.sectionCount)
            listed += 1
            warned += listing.problems.isEmpty ? 0 : 1
            if file.header.machine == .bpf, listing.problems.isEmpty, (try? ObjectSpec(contentsOfFile: path)) == nil {
                notSpecs.append(path)
            }
        }
        #expect(listed >= TestPaths.testDataObjects.count)
        // The CLI: an object that is no loadable spec is listed, then its reason given, with exit status 1.
        if let path = notSpecs.first {
            let run = try Host.capture(Host.swiftbpf, ["inspect", path])
            #expect(
                run.status == 1 && run.out.contains("Symbol table") && run.err.contains("not a loadable BPF object"),
                "\(path)")
        }
        print(
            "inspect listed \(listed) ELF files llvm-readelf reads (\(warned) with parts both name unreadable); \(notSpecs.count) are not loadable specs"
        )
    }
}
