import BTF
import ELF64
import ParserHarness
import TestSupport
import Testing

/// Deduplication of hostile BTF: deep chains on the walks' own stacks, cycles, ambiguous forwards,
/// loops; linear in the input, ending in a result or a typed error.
@Suite("BTF dedup on hostile BTF")
struct DedupHostileTests {
    static func deduplicated(_ bytes: [UInt8], copies: Int = 1) throws -> DeduplicatedBTF {
        try bytes.withUnsafeBytes { raw in
            let btf = try BTF(unsafeBytes: raw)
            return try BTF.deduplicating([BTF](repeating: btf, count: copies))
        }
    }

    /// The kinds of the deduplicated types, in id order, read back from their encoding.
    static func kinds(_ result: DeduplicatedBTF) throws -> [Kind] {
        let btf = try BTF(ByteStorage(copying: try result.encode()))
        return try (btf.firstID..<btf.endID).map { try btf.type($0).kind }
    }

    @Test("a 100,000-deep pointer chain: no recursion on its depth, linear time")
    func pointerChain() throws {
        #expect(try Self.deduplicated(HostileBTF.pointerChain(depth: 100_000)).typeCount == 100_001)
        let ratio = Scaling.ratio(10_000, make: { HostileBTF.pointerChain(depth: $0) }) { bytes in
            _ = try? Self.deduplicated(bytes, copies: 2)
        }
        #expect(ratio < 16, "8× the depth took \(ratio)× the time")
    }

    @Test("a 100,000-deep chain of nested structs, twice: the copy folds in one walk, linear time")
    func nestedStructs() throws {
        let depth = 100_000
        let result = try Self.deduplicated(HostileBTF.nestedStructsTwice(depth: depth))
        #expect(result.typeCount == 1 + depth)
        #expect(result.typeMaps[0][1 + depth] == result.typeMaps[0][1], "the second copy's first struct is the first's")
        let ratio = Scaling.ratio(5_000, make: { HostileBTF.nestedStructsTwice(depth: $0) }) { bytes in
            _ = try? Self.deduplicated(bytes)
        }
        #expect(ratio < 16, "8× the depth took \(ratio)× the time")
    }

    @Test("structs in a pointer cycle, 1,000 copies with forwards: one copy remains")
    func pointerCycles() throws {
        let result = try Self.deduplicated(HostileBTF.pointerCycles(copies: 1_000))
        #expect(try Self.kinds(result) == [.struct, .pointer, .struct, .pointer])
        #expect(Set(result.typeMaps[0]) == [1, 2, 3, 4])
    }

    @Test("a forward with two different complete structs of its name stays a forward")
    func ambiguousForward() throws {
        let result = try Self.deduplicated(HostileBTF.forwardWithTwoCandidates())
        #expect(try Self.kinds(result) == [.int, .int, .forward, .struct, .struct])
    }

    @Test("a reference past the last type is a typed error, alone or shifted after another input")
    func referencePastEnd() throws {
        for copies in [1, 2] {
            #expect(throws: BTFError.self) { _ = try Self.deduplicated(HostileBTF.referencePastEnd(), copies: copies) }
        }
    }

    @Test("a reference loop no struct breaks is a typed error")
    func referenceLoop() throws {
        #expect(throws: BTFError.self) { _ = try Self.deduplicated(HostileBTF.referenceLoop()) }
    }
}

/// Hostile inputs a review found (each a typed error or a linear walk now).
extension DedupHostileTests {
    @Test("structs told apart by their hash but with a VAR where a member type must be: an error, as libbpf's")
    func memberPointingAtVariable() throws {
        #expect(throws: BTFError.self) { _ = try Self.deduplicated(HostileBTF.memberPointingAtVariable()) }
    }

    @Test("names past the 4 KiB a name is read to: an error, not anonymous types folded together")
    func longNames() throws {
        #expect(throws: BTFError.self) { _ = try Self.deduplicated(HostileBTF.longNames(length: 5_000)) }
        #expect(try Self.deduplicated(HostileBTF.longNames(length: 4_000)).typeCount == 2)
    }

    @Test("signatures crafted to share one probe start (the old unkeyed one): linear time")
    func probeCollisions() throws {
        #expect(try Self.deduplicated(HostileBTF.probeCollidingInts(count: 40_000)).typeCount == 40_000)
        let ratio = Scaling.ratio(5_000, make: { HostileBTF.probeCollidingInts(count: $0) }) { bytes in
            _ = try? Self.deduplicated(bytes)
        }
        #expect(ratio < 16, "8× the types took \(ratio)× the time")
    }

    @Test("preserved strings that do not start with NUL (where the empty name must be): a typed error")
    func preservedStringsWithoutNUL() throws {
        let result = try Self.deduplicated(HostileBTF.pointerCycles(copies: 2))
        #expect(throws: BTFError.self) { _ = try result.encode(preservedStrings: Array("abc\0".utf8)) }
        let encoded = try result.encode(preservedStrings: Array("\0abc\0next\0".utf8))
        let btf = try BTF(ByteStorage(copying: encoded))
        #expect(try btf.type(1).name == "a")
        // "next" is found in the preserved section; only "a" and "b" follow it.
        let stringLength = encoded[20..<24].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(stringLength == 10 + 4)
    }

    @Test("a DATASEC of more variables than its vlen holds is refused whole; 65,535 encode and read back")
    func dataSectionVariableLimit() throws {
        var types = DedupTypes()
        let name = Array(".data".utf8)
        try name.withUnsafeBufferPointer { name in
            let section = ByteString(name)
            let tooMany = [(type: TypeID, offset: UInt32, size: UInt32)](repeating: (0, 0, 0), count: 65_536)
            #expect(types.appendDataSection(named: section, size: 0, variables: tooMany) == nil)
            #expect(types.count == 1)  // void alone: nothing appended
            let most = [(type: TypeID, offset: UInt32, size: UInt32)](repeating: (0, 0, 4), count: 65_535)
            let appended = types.appendDataSection(named: section, size: 4, variables: most)
            let id = try #require(appended)
            var names = StringTableBuilder()
            let encoded = try BTF.deduplicating(types, names: &names).blob(byteOrder: .host)
            let btf = try BTF(ByteStorage(copying: encoded))
            #expect(try btf.type(id).vlen == 65_535)
            #expect(btf.ownTypeCount == 1)
        }
    }
}
