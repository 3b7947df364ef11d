import BPFObject
import BTF
import ELF64
import Foundation
import ParserHarness
import TestSupport
import Testing

/// Unlinkable and malformed inputs end in a ``LinkError`` naming the input and the reason.
@Suite("Static linking: refusals")
struct LinkHostileTests {
    static func link(_ objects: [(String, [UInt8])]) throws(LinkError) -> [UInt8] {
        try BPFLinker.link(objects.map { BPFLinker.Input(name: $0.0, file: try! ELFFile(ByteStorage(copying: $0.1))) })
    }

    static func problem(_ objects: [(String, [UInt8])]) -> LinkError? {
        do {
            _ = try link(objects)
            return nil
        } catch {
            return error
        }
    }

    static func object(_ name: String) throws -> (String, [UInt8]) { (name, try testObject(name)) }

    /// `name` with section `section` rewritten by `edit`.
    static func edited(
        _ name: String, _ section: String, _ edit: (inout ELFEditor, Int) -> Void
    ) throws -> (
        String, [UInt8]
    ) {
        let bytes = try testObject(name)
        var editor = try #require(bytes.withUnsafeBytes { ELFEditor($0) })
        let index = try #require(editor.index(named: section))
        edit(&editor, index)
        return (name, editor.bytes)
    }

    @Test("two strong definitions of one global name both inputs")
    func conflict() throws {
        let error = Self.problem([try Self.object("link_main.bpfel.o"), try Self.object("link_main.bpfel.o")])
        #expect(
            error
                == LinkError(
                    input: "link_main.bpfel.o",
                    .conflictingDefinitions(symbol: "tweak", firstInput: "link_main.bpfel.o")))
    }

    @Test("with two unlinkable inputs, the first one's error is reported (a later one's that cannot be opened, after)")
    func firstErrorFirst() throws {
        let host = ("exe", Array(try Data(contentsOf: URL(fileURLWithPath: "/proc/self/exe"))))
        let main = try Self.object("link_main.bpfel.o")
        #expect(
            Self.problem([main, main, host])
                == LinkError(
                    input: "link_main.bpfel.o",
                    .conflictingDefinitions(symbol: "tweak", firstInput: "link_main.bpfel.o")))
        #expect(Self.problem([main, host, main])?.input == "exe")
        #expect(Self.problem([host, main])?.input == "exe")
    }

    @Test("a section name that is no UTF-8 is written byte for byte, as libbpf writes it")
    func rawSectionName() throws {
        var bytes = try testObject("link_lib.bpfel.o")
        let old = Array(".debug_str\0".utf8), new = Array(".debug\u{7f}\u{7f}\u{7f}\u{7f}\0".utf8)
        let at = try #require(bytes.indices.first { bytes[$0...].starts(with: old) })
        for (i, byte) in new.enumerated() { bytes[at + i] = byte == 0x7f ? 0xff : byte }
        let linked = try Self.link([("link_lib.bpfel.o", bytes)])
        let file = try ELFFile(ByteStorage(copying: linked))
        let names = file.sections.map { Array($0.name.utf8) }
        #expect(names.contains(Array(".debug".utf8) + [0xff, 0xff, 0xff, 0xff]))
    }

    @Test("an extern declared in one section and defined in another is a typed mismatch, in either order")
    func externInAnotherSection() throws {
        let declared = try Self.object("link_extern_b.bpfel.o"), defined = try Self.object("link_define_a.bpfel.o")
        #expect(
            Self.problem([declared, defined])
                == LinkError(
                    input: "link_define_a.bpfel.o",
                    .sectionMismatch(symbol: "v", section: ".data.a", expected: ".data.b")))
        #expect(
            Self.problem([defined, declared])
                == LinkError(
                    input: "link_extern_b.bpfel.o",
                    .sectionMismatch(symbol: "v", section: ".data.b", expected: ".data.a")))
    }

    @Test(
        "DATASECs and .BTF.ext records naming a symbol table are dropped, as libbpf drops them; a NOBITS .BTF.ext is refused"
    )
    func namesOfNonDataSections() throws {
        let directory = TestPaths.root + "/Tests/Regressions/FuzzLink/"
        for name in ["datasec-naming-symtab.o", "datasec-naming-symtab-with-data.o", "ext-records-of-symtab.o"] {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: directory + name)))
            let linked = try Self.link([("link_lib.bpfel.o", bytes)])
            let btf = try BTF(elf: try ELFFile(ByteStorage(copying: linked)))
            #expect(btf.types(ofKind: .dataSection).allSatisfy { !$0.name.matches(".symtab") }, "\(name)")
        }
        let nobits = Array(try Data(contentsOf: URL(fileURLWithPath: directory + "ext-section-nobits.o")))
        #expect(Self.problem([("nobits", nobits)])?.problem == .unsupportedSection(".BTF.ext", type: .nobits))
    }

    @Test("an extern map declared with other max_entries than its definition")
    func mapMismatch() throws {
        for order in ["el", "eb"] {
            let error = Self.problem([
                try Self.object("link_lib.bpf\(order).o"), try Self.object("link_badmap.bpf\(order).o"),
            ])
            #expect(
                error
                    == LinkError(
                        input: "link_badmap.bpf\(order).o", .mismatch(symbol: "shared_counts", .mapField("max_entries"))
                    ))
        }
    }

    @Test("an extern function declared with another parameter type than its definition")
    func functionMismatch() throws {
        let error = Self.problem([try Self.object("link_lib.bpfel.o"), try Self.object("link_badcall.bpfel.o")])
        #expect(error == LinkError(input: "link_badcall.bpfel.o", .mismatch(symbol: "lib_add", .kinds(.int, .pointer))))
        // Declared first, then defined: the same comparison, the other way round.
        let reversed = Self.problem([try Self.object("link_badcall.bpfel.o"), try Self.object("link_lib.bpfel.o")])
        #expect(reversed == LinkError(input: "link_lib.bpfel.o", .mismatch(symbol: "lib_add", .kinds(.pointer, .int))))
    }

    @Test("inputs of two byte orders, a host executable, no inputs")
    func wrongInputs() throws {
        let error = Self.problem([try Self.object("link_lib.bpfel.o"), try Self.object("link_main.bpfeb.o")])
        #expect(error == LinkError(input: "link_main.bpfeb.o", .byteOrder(.big, expected: .little)))
        let host = Array(try Data(contentsOf: URL(fileURLWithPath: "/proc/self/exe")))
        #expect(
            Self.problem([("exe", host)])?.problem == .notRelocatableBPF(type: .executable, machine: .x86_64)
                || Self.problem([("exe", host)])?.problem == .notRelocatableBPF(type: .shared, machine: .x86_64))
        #expect(Self.problem([]) == LinkError(input: nil, .noInputs))
    }

    @Test("a license unlike the first input's")
    func license() throws {
        let other = try Self.edited("link_main.bpfel.o", "license") { editor, index in
            editor.sections[index].data = Array("BSD\0".utf8)
        }
        #expect(
            Self.problem([try Self.object("link_lib.bpfel.o"), other])
                == LinkError(input: "link_main.bpfel.o", .differentContents(section: "license")))
    }

    @Test("a relocation past its section's end, or inside an instruction, is refused before any byte is moved")
    func relocationOffset() throws {
        for offset: UInt64 in [0x1_0000, 0xffff_ffff_ffff_fff8, 4] {
            let bad = try Self.edited("link_main.bpfel.o", ".relsyscall") { editor, index in
                editor.write(offset, width: 8, to: index, at: 0)
            }
            let error = Self.problem([try Self.object("link_lib.bpfel.o"), bad])
            #expect(
                error
                    == LinkError(
                        input: "link_main.bpfel.o",
                        .invalidRelocation(section: ".relsyscall", index: 0, .offset(offset))))
        }
    }

    @Test("an alignment that is no power of two, or past 4 KiB (libbpf would pad by it)")
    func alignment() throws {
        for alignment: UInt64 in [3, 1 << 40] {
            let bad = try Self.edited("link_lib.bpfel.o", ".data") { editor, index in
                editor.sections[index].alignment = alignment
            }
            #expect(
                Self.problem([bad])
                    == LinkError(input: "link_lib.bpfel.o", .alignment(section: ".data", alignment)))
        }
    }

    @Test("a code section that ends inside an instruction")
    func partialInstruction() throws {
        let bad = try Self.edited("link_lib.bpfel.o", "syscall") { editor, index in
            editor.sections[index].data.removeLast(4)
        }
        #expect(
            Self.problem([bad])
                == LinkError(input: "link_lib.bpfel.o", .partialInstruction(section: "syscall", size: 156)))
    }

    @Test("a second symbol table")
    func secondSymbolTable() throws {
        let bytes = try #require(HostileObjects.secondSymbolTable(try testObject("link_main.bpfel.o")))
        guard case .symbolTable(secondAt: .some)? = Self.problem([("two", bytes)])?.problem else {
            Issue.record("expected a second-symbol-table refusal")
            return
        }
    }

    @Test("a symbol placed in the symbol table's own section")
    func symbolInSymbolTable() throws {
        let bytes = try testObject("link_lib.bpfel.o")
        var editor = try #require(bytes.withUnsafeBytes { ELFEditor($0) })
        let symtab = try #require(editor.index(ofType: .symtab))
        // Symbol 14 is lib_add (GLOBAL FUNC in .text): move it into .symtab.
        editor.write(UInt64(symtab), width: 2, to: symtab, at: 14 * Symbol.entrySize + 6)
        #expect(
            Self.problem([("moved", editor.bytes)])
                == LinkError(input: "moved", .invalidSymbol(index: 14, .inUnlinkableSection(".symtab"))))
    }

    @Test("every TestData and corpus object links (or is refused) to an object that opens and links again, unchanged")
    func everyObject() throws {
        var linkedCount = 0
        for path in TestPaths.testDataObjects + TestPaths.corpusFiles.map(\.path).filter({ $0.hasSuffix(".o") }) {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            let name = String(path.split(separator: "/").last!)
            guard path.hasPrefix(TestPaths.testData) || bytes.count < 100_000 else { continue }  // the suite's time
            guard let linked = try? Self.link([(name, bytes)]) else { continue }
            linkedCount += 1
            if (try? ObjectSpec(bytes: bytes, name: "input")) != nil {
                _ = try ObjectSpec(bytes: linked, name: "linked")
            }
            // Linking is idempotent: the output linked alone gives the same object.
            #expect(try LinkedObjectView(Self.link([(name, linked)])) == LinkedObjectView(linked), "\(name)")
            guard path.hasPrefix(TestPaths.testData) else { continue }
            _ = bytes.withUnsafeBytes { Harness.link($0) }  // its preconditions: the output reads and links again
            for variant in [HostileObjects.secondSymbolTable(bytes), HostileObjects.recursiveMapDefinition(bytes)] {
                guard let variant else { continue }
                _ = variant.withUnsafeBytes { Harness.link($0) }
            }
        }
        #expect(linkedCount >= 30)
    }

    @Test("N global functions and variables defined in one object, declared extern in another: all resolved")
    func manyGlobals() throws {
        let (definitions, uses) = SyntheticObjects.linkablePair(count: 50)
        for order in [[("definitions", definitions), ("uses", uses)], [("uses", uses), ("definitions", definitions)]] {
            let linked = try Self.link(order)
            let file = try ELFFile(ByteStorage(copying: linked))
            let symbols = try #require(try file.symbolTable())
            #expect(symbols.count == 1 + 100)
            #expect(symbols.dropFirst().allSatisfy { $0.section != .undefined && $0.binding == .global })
            let btf = try BTF(elf: file)
            #expect(btf.types(ofKind: .function).count == 50)
            #expect(btf.types(ofKind: .variable).count == 50)
        }
    }

    @Test("linking N global definitions with N extern declarations of them: linear")
    func scaling() {
        let ratio = Scaling.ratio(200, make: { SyntheticObjects.linkablePair(count: $0) }) { pair in
            do { _ = try Self.link([("definitions", pair.definitions), ("uses", pair.uses)]) } catch {
                Issue.record("the synthetic objects link: \(error)")
            }
        }
        #expect(ratio < 16, "at 8× the globals: \(ratio)× the time")
    }
}
