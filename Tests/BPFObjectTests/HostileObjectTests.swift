import BPFObject
import BTF
import ELF64
import Foundation
import ParserHarness
import TestSupport
import Testing

/// A TestData object's bytes.
func testObject(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: TestPaths.testData + "/obj/" + name)))
}

/// Opens `bytes` as an object spec.
func openSpec(_ bytes: [UInt8], name: String = "hostile") throws(ObjectError) -> ObjectSpec {
    let file: ELFFile
    do { file = try ELFFile(ByteStorage(copying: bytes)) } catch { throw .elf(error) }
    return try ObjectSpec(elf: file, name: name)
}

/// Each class of hostile object the generators build ends in a typed error, never a trap.
@Suite("Hostile objects")
struct HostileObjectTests {
    @Test("a relocation section linked to a second, larger symbol table is refused, not indexed into the first",
          arguments: [false, true])
    func secondSymbolTable(dynamic: Bool) throws {
        for name in ["multi.bpfel.o", "multi.bpfeb.o", "counter.bpfel.o"] {
            let bytes = try #require(HostileObjects.secondSymbolTable(try testObject(name), dynamic: dynamic))
            #expect(bytes.withUnsafeBytes { Harness.elf($0) } == nil, "the ELF itself is valid: \(name)")
            #expect {
                _ = try openSpec(bytes)
            } throws: { error in
                guard case let .elf(e) = error as? ObjectError, case .unexpectedLink = e.reason else { return false }
                return true
            }
        }
    }
}

extension HostileObjectTests {
    @Test("a map definition whose values point back to itself is refused (inner maps nest one level)")
    func recursiveMapDefinition() throws {
        for name in ["maps.bpfel.o", "maps.bpfeb.o"] {
            let bytes = try #require(HostileObjects.recursiveMapDefinition(try testObject(name)))
            #expect {
                _ = try openSpec(bytes)
            } throws: { error in
                guard case let .invalidMap(map, _, reason) = error as? ObjectError else { return false }
                return map == "outer.inner" && reason.contains("nest one level")
            }
        }
    }
}
