import BPFObject
import BTF
import ELF64
import Foundation
import ParserHarness
import TestSupport
import Testing

/// What two linked objects are compared by: sections (name, type, flags, size, alignment),
/// symbols (name, binding, type, visibility, section name, value, size; as a set, since ours puts
/// locals first as ELF asks while libbpf keeps input order), relocations (by section: offset,
/// symbol name, type), the raw BTF dump, and `.BTF.ext` records with their strings and types' names.
struct LinkedObjectView: Equatable, CustomStringConvertible {
    var sections: [String] = []
    var symbols: [String] = []
    var relocations: [String] = []
    var btf = ""
    var ext: [String] = []

    init(_ bytes: [UInt8]) throws {
        let file = try ELFFile(ByteStorage(copying: bytes))
        let names = Dictionary(
            file.sections.map { ($0.index, String($0.name)) }, uniquingKeysWith: { first, _ in first })
        for s in file.sections.dropFirst() {
            sections.append("\(s.name) \(s.type) \(s.flags.rawValue) \(s.size) \(s.alignment) \(s.entrySize)")
        }
        let symbolTable = try #require(try file.symbolTable())
        for symbol in symbolTable.dropFirst() {
            let place = symbol.section.sectionIndex.map { names[$0] ?? "?" } ?? "\(symbol.section)"
            symbols.append(
                "\(symbol.name) \(symbol.binding) \(symbol.type) \(symbol.visibility) \(place) \(symbol.value) \(symbol.size)"
            )
        }
        symbols.sort()
        for section in file.relocationSections {
            for r in try file.relocations(in: section) {
                relocations.append("\(section.name) \(r.offset) \(symbolTable[r.symbolIndex].name) \(r.type)")
            }
        }
        guard let btf = try? BTF(elf: file) else { return }
        try btf.dumpRaw(to: &self.btf)
        guard let records = try BTFExt(elf: file, btf: btf) else { return }
        func typeName(_ id: TypeID) -> String { (try? btf.name(of: id)).map(String.init) ?? "#\(id)" }
        func text(_ offset: UInt32) -> String { (try? btf.string(at: offset)).map(String.init) ?? "?" }
        for s in records.functionInfo {
            ext.append(contentsOf: s.records.map { "func \(s.name) \($0.instructionOffset) \(typeName($0.typeID))" })
        }
        for s in records.lineInfo {
            ext.append(
                contentsOf: s.records.map {
                    "line \(s.name) \($0.instructionOffset) \(text($0.fileNameOffset)) \(text($0.lineOffset)) \($0.lineColumn)"
                })
        }
        for s in records.coreRelocations {
            ext.append(
                contentsOf: s.records.map {
                    "core \(s.name) \($0.instructionOffset) \(typeName($0.typeID)) \(text($0.accessStringOffset)) \($0.kind)"
                })
        }
    }

    var description: String {
        (sections + ["--"] + symbols + ["--"] + relocations + ["--"] + ext).joined(separator: "\n") + "\n" + btf
    }
}

/// `BPFLinker` against libbpf's `bpf_linker` (Tests/Reference/bpf-link.c, built with libbpf-dev:
/// the code of `bpftool gen object`) and against `bpftool gen object` itself, on the same inputs.
@Suite(
    "Static linking, against libbpf's linker and bpftool gen object",
    .enabled(
        if: (Host.find("cc") != nil && Host.find("bpftool") != nil
            && FileManager.default.fileExists(atPath: "/usr/include/bpf/libbpf.h")) || Host.required,
        "cc, libbpf-dev and bpftool are not installed"))
struct StaticLinkTests {
    static func link(_ paths: [String]) throws(LinkError) -> [UInt8] {
        let inputs = paths.map { path in
            BPFLinker.Input(name: path, file: try! ELFFile(ByteStorage(contentsOfFile: path)))
        }
        return try BPFLinker.link(inputs)
    }

    /// libbpf's linker, built once per run.
    static let reference: String? = {
        let output = NSTemporaryDirectory() + "swiftbpf-bpf-link-\(getpid())"
        let result = try? Host.capture(
            Host.find("cc") ?? "cc", ["-O2", "-o", output, TestPaths.root + "/Tests/Reference/bpf-link.c", "-lbpf"])
        return result?.status == 0 ? output : nil
    }()

    /// libbpf's link of `paths` (with `bpftool`: bpftool's), or nil where it refuses them.
    static func theirs(_ paths: [String], bpftool: Bool = false) throws -> [UInt8]? {
        let output = NSTemporaryDirectory() + "swiftbpf-link-\(getpid())-\(UUID().uuidString.prefix(8)).o"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let run =
            bpftool
            ? try Host.capture(try #require(Host.find("bpftool")), ["gen", "object", output] + paths)
            : try Host.capture(try #require(Self.reference, "the reference program builds"), [output] + paths)
        guard run.status == 0 else { return nil }
        return Array(try Data(contentsOf: URL(fileURLWithPath: output)))
    }

    static let obj = TestPaths.testData + "/obj/"

    static var littleEndianObjects: [String] { TestPaths.testDataObjects.filter { $0.hasSuffix(".bpfel.o") } }

    @Test(
        "two objects sharing a map, a function, a variable, a weak function and a static name link as bpftool links them"
    )
    func libraryAndMain() throws {
        let paths = [Self.obj + "link_lib.bpfel.o", Self.obj + "link_main.bpfel.o"]
        let ours = try LinkedObjectView(Self.link(paths))
        let theirs = try LinkedObjectView(try #require(try Self.theirs(paths)))
        #expect(ours == theirs)
        // The strong `tweak` of link_main wins over link_lib's weak one; the extern map is the library's.
        #expect(ours.symbols.contains("tweak GLOBAL FUNC DEFAULT .text 120 24"))
        #expect(ours.symbols.contains("shared_counts GLOBAL OBJECT DEFAULT .maps 0 32"))
        #expect(ours.symbols.filter { $0.hasPrefix("helper ") }.count == 2)
    }

    @Test("each TestData object linked alone equals bpftool's link of it", arguments: littleEndianObjects)
    func single(_ path: String) throws {
        let theirs = try Self.theirs([path])
        guard let theirs else {
            #expect(throws: LinkError.self, "bpftool refuses \(path); so do we") { try Self.link([path]) }
            return
        }
        #expect(try LinkedObjectView(Self.link([path])) == LinkedObjectView(theirs))
    }

    @Test("big-endian inputs link to the same object as little-endian ones, byte order aside")
    func bigEndian() throws {
        let little = try LinkedObjectView(Self.link([Self.obj + "link_lib.bpfel.o", Self.obj + "link_main.bpfel.o"]))
        let linked = try Self.link([Self.obj + "link_lib.bpfeb.o", Self.obj + "link_main.bpfeb.o"])
        let big = try LinkedObjectView(linked)
        #expect(big.sections == little.sections)
        #expect(big.symbols == little.symbols)
        #expect(big.relocations == little.relocations)
        #expect(big.btf == little.btf)
        #expect(big.ext == little.ext)
        let spec = try ObjectSpec(elf: ELFFile(ByteStorage(copying: linked)), name: "linked")
        #expect(spec.programs.filter { $0.kind != nil }.map(\.name).sorted() == ["lib_prog", "main_prog"])
    }

    @Test("the linked object opens as a spec with both files' programs, maps, data and metadata")
    func spec() throws {
        let linked = try Self.link([Self.obj + "link_lib.bpfel.o", Self.obj + "link_main.bpfel.o"])
        let spec = try ObjectSpec(elf: ELFFile(ByteStorage(copying: linked)), name: "linked")
        #expect(spec.programs.filter { $0.kind != nil }.map(\.name).sorted() == ["lib_prog", "main_prog"])
        #expect(
            spec.programs.filter { $0.kind == nil }.map(\.name).sorted() == ["helper", "helper", "lib_add", "tweak"])
        #expect(spec.maps.map(\.name).contains("shared_counts"))
        let metadata = try spec.globalVariables().map(\.name).filter { $0.hasPrefix("bpf_metadata_") }
        #expect(metadata.sorted() == ["bpf_metadata_application", "bpf_metadata_library"])
    }

    @Test(
        "pairs of TestData objects: ours links exactly when bpftool does, to the same object",
        arguments: zip(littleEndianObjects, littleEndianObjects.dropFirst()).map { [$0, $1] })
    func pairs(_ paths: [String]) throws {
        let theirs = try Self.theirs(paths)
        guard let theirs else {
            #expect(throws: LinkError.self, "bpftool refuses \(paths)") { try Self.link(paths) }
            return
        }
        #expect(try LinkedObjectView(Self.link(paths)) == LinkedObjectView(theirs))
    }

    /// bpftool 7.1 bundles the libbpf of Linux 6.1, whose dedup lacks libbpf 1.1's resolution of
    /// forward declarations (a `struct cred` forward and a complete `struct cred` stay two types
    /// there): its BTF is compared by the tests above through libbpf-dev; all else is compared here.
    @Test(
        "bpftool gen object: the same sections, symbols, relocations and .BTF.ext records",
        arguments: [[obj + "link_lib.bpfel.o", obj + "link_main.bpfel.o"]] + littleEndianObjects.map { [$0] })
    func bpftool(_ paths: [String]) throws {
        guard let theirs = try Self.theirs(paths, bpftool: true) else {
            #expect(throws: LinkError.self, "bpftool refuses \(paths)") { try Self.link(paths) }
            return
        }
        var ours = try LinkedObjectView(Self.link(paths)), reference = try LinkedObjectView(theirs)
        ours.btf = ""
        reference.btf = ""
        #expect(ours == reference)
    }

    @Test("synthetic globals defined in one object and declared extern in another, in both orders")
    func synthetic() throws {
        let (definitions, uses) = SyntheticObjects.linkablePair(count: 20)
        let directory = NSTemporaryDirectory() + "swiftbpf-link-synthetic-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let a = directory + "/definitions.o", b = directory + "/uses.o"
        try Data(definitions).write(to: URL(fileURLWithPath: a))
        try Data(uses).write(to: URL(fileURLWithPath: b))
        for paths in [[a, b], [b, a]] {
            let theirs = try #require(try Self.theirs(paths), "libbpf links \(paths)")
            #expect(try LinkedObjectView(Self.link(paths)) == LinkedObjectView(theirs))
        }
    }

    @Test("the shared corpus's objects, each linked alone, equal bpftool's links")
    func corpus() throws {
        var compared = 0
        for (relative, path) in TestPaths.corpusFiles where relative.hasSuffix(".o") {
            guard let file = try? ELFFile(ByteStorage(contentsOfFile: path)), file.header.machine == .bpf,
                file.byteOrder == .host
            else { continue }
            guard let theirs = try Self.theirs([path]) else { continue }
            let ours: [UInt8]
            do { ours = try Self.link([path]) } catch {
                Issue.record("\(relative): bpftool links it, we refuse: \(error)")
                continue
            }
            #expect(try LinkedObjectView(ours) == LinkedObjectView(theirs), "\(relative)")
            compared += 1
        }
        print("corpus: \(compared) objects linked alike")
    }
}
