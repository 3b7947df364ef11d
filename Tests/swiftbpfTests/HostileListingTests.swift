import BPFObject
import ELF64
import ParserHarness
@testable import swiftbpf
import TestSupport
import Testing

/// `inspect` and `disasm` on objects built so that a listing's cost multiplies two counts: linear
/// time, and memory bounded by a line, not by the listing.
@Suite("Listings of hostile objects")
struct HostileListingTests {
    static func open(_ bytes: [UInt8]) throws -> (ELFFile, ObjectSpec) {
        let file = try ELFFile(ByteStorage(copying: bytes))
        return (file, try ObjectSpec(elf: file, name: "hostile"))
    }

    @Test("calls naming no program: each call's target is found by binary search, the listing says where it points")
    func callsToNowhere() throws {
        let (_, spec) = try Self.open(SyntheticObjects.callsToNowhere(count: 3))
        #expect(ObjectListing(spec: spec).text.contains("call instruction 1 of section 2"))
        let ratio = Scaling.ratio(1_000, make: { try? Self.open(SyntheticObjects.callsToNowhere(count: $0)).1 }) {
            spec in
            guard let spec else { Issue.record("the synthetic object does not open"); return }
            _ = ObjectListing(spec: spec).text
        }
        #expect(ratio < 16, "at 8× the calls: \(ratio)× the time")
    }

    @Test("relocations against a 4000-byte name: the readelf listing is written a line at a time, never held whole")
    func longNamesStream() throws {
        /// Counts what is written, keeping nothing.
        struct Counting: TextOutputStream {
            var total = 0, largest = 0
            mutating func write(_ string: String) {
                total += string.utf8.count
                largest = max(largest, string.utf8.count)
            }
        }
        let file = try ELFFile(ByteStorage(copying: SyntheticObjects.relocationsToLongName(count: 2_000)))
        var out = Counting()
        #expect(ReadelfListing(file: file).render(to: &out).isEmpty)
        #expect(out.total > 2_000 * 4_000, "every relocation line names the symbol")
        #expect(out.largest < 8_192, "a write of \(out.largest) bytes: more than a line")
    }

    @Test("symbols sharing a 4000-byte name: the JSON listing refuses to grow past 64 times the file")
    func jsonBudget() throws {
        let bytes = SyntheticObjects.relocationsToLongName(count: 1, sharedBy: 2_000)
        let file = try ELFFile(ByteStorage(copying: bytes))
        var problems: [ELFError] = []
        #expect(throws: CommandFailure.self) { try Inspect.json(file, path: "shared-names.o", problems: &problems) }
        // A few such symbols stay listed.
        let small = try ELFFile(ByteStorage(copying: SyntheticObjects.relocationsToLongName(count: 1, sharedBy: 3)))
        #expect(
            try Inspect.json(small, path: "few.o", problems: &problems).rendered().contains(
                String(repeating: "A", count: 4_000)))
    }
}
