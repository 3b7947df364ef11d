@testable import BPFObject
import ELF64
import TestSupport
import Testing

@Suite("The linker's name tables")
struct NameMapTests {
    @Test("entries agree with a dictionary over 5,000 seeded names (shared prefixes, repeats): first value kept")
    func agreesWithDictionary() {
        var random = SeededGenerator(seed: 17)
        let texts = (0..<5000).map { _ in
            "sec/" + String(repeating: "p", count: Int.random(in: 0..<20, using: &random))
                + String(Int.random(in: 0..<1500, using: &random))
        }
        let storage = texts.map { Array($0.utf8) }
        var map = NameMap<Int>(capacity: 4)
        var reference: [String: Int] = [:]
        for (index, bytes) in storage.enumerated() {
            bytes.withUnsafeBufferPointer { buffer in
                let (entry, added) = map.insert(ByteString(buffer), index)
                #expect(added == (reference[texts[index]] == nil))
                if added { #expect(entry == reference.count) }
            }
            if reference[texts[index]] == nil { reference[texts[index]] = index }
        }
        for (text, value) in reference {
            var text = text
            #expect(text.withUTF8 { map[ByteString($0)] } == value)
        }
        var absent = "not/there"
        #expect(absent.withUTF8 { map[ByteString($0)] } == nil)
        #expect(NameMap<Int>()[.empty] == nil)
    }

    @Test("a value changes in place through its entry")
    func update() {
        var map = NameMap<[Int]>()
        var name = "global"
        let entry = name.withUTF8 { map.insert(ByteString($0), [1]).entry }
        map.update(entry) { $0.append(2) }
        #expect(name.withUTF8 { map[ByteString($0)] } == [1, 2])
    }

    @Test("names sharing everything but their last bytes: inserting and finding them stays linear")
    func linear() {
        let ratio = Scaling.ratio(
            2000,
            make: { count in (0..<count).map { Array("a_long_common_prefix_of_names_\($0)".utf8) } }
        ) { names in
            var map = NameMap<Int>()
            for (index, name) in names.enumerated() {
                name.withUnsafeBufferPointer { _ = map.insert(ByteString($0), index) }
            }
            for name in names { name.withUnsafeBufferPointer { _ = map[ByteString($0)] } }
        }
        #expect(ratio < 16)
    }
}

extension NameMapTests {
    @Test("an input's sections are found by name, DWARF ones too (in their own table), first of each name")
    func sectionsByName() throws {
        for path in TestPaths.testDataObjects {
            let file = try ELFFile(ByteStorage(contentsOfFile: path))
            guard file.header.machine == .bpf, var input = try? LinkInput(name: path, file: file) else { continue }
            var debugNames = 0
            for section in file.sections.dropFirst() {
                let first = file.sections.dropFirst().first { $0.name == section.name }?.index
                #expect(input.section(named: section.name) == first, "\(path): \(section.name)")
                if section.name.starts(with: ".debug_") { debugNames += 1 }
            }
            var absent = ".debug_absent"
            #expect(absent.withUTF8 { input.section(named: ByteString($0)) } == nil)
            #expect(debugNames > 0, "\(path) has DWARF: the lazy table was exercised")
        }
    }
}
