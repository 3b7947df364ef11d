@testable import BPFObject
import BTF
import ELF64
import ParserHarness
import TestSupport
import Testing

/// Walks over objects whose cost grows with their programs, calls, relocations, records and
/// sections, timed on synthetic objects at N and 8N: linear or N log N (a quadratic one takes 64×).
@Suite("Object walks scale linearly")
struct ScalingTests {
    @Test("a synthetic object of N calls opens, links and disassembles correctly")
    func manyCallsAreRight() throws {
        let spec = try openSpec(SyntheticObjects.manyCalls(count: 50, legacyMapSections: 5))
        #expect(spec.entryPrograms.map(\.name) == ["entry"])
        #expect(spec.programs.count == 51)
        #expect(spec.maps.map(\.name) == (0..<5).map { "map\($0)" })
        let linked = try Linker.link(spec, program: "entry")
        #expect(linked.subprograms == (0..<50).map { "f\($0)" })
        #expect(linked.instructions.count == 52 + 100)
        // Call i reaches f<i>, placed at 52 + 2i.
        for i in 0..<50 { #expect(i + Int(linked.instructions[i].immediate) + 1 == 52 + 2 * i) }
        // Line records, given last first, come out in instruction order.
        #expect(linked.lineInfo.map(\.instruction) == (0..<50).map { 52 + 2 * $0 })
    }

    @Test("open + link of N calls to N functions with out-of-order line info, and N legacy map sections: linear")
    func manyCalls() {
        let ratio = Scaling.ratio(300, make: { SyntheticObjects.manyCalls(count: $0, legacyMapSections: $0) }) {
            bytes in
            guard let spec = try? openSpec(bytes) else { Issue.record("the synthetic object does not open"); return }
            _ = try? Linker.link(spec, program: "entry")
        }
        #expect(ratio < 16, "at 8× the calls: \(ratio)× the time")
    }

    @Test("functions whose symbols overlap are refused at open, in time linear in their number")
    func overlappingFunctions() throws {
        let overlap = ProgramProblem.overlapsPreviousFunction(offset: 16, previousEnd: 50 * 16)
        #expect(throws: ObjectError.invalidProgram(name: "f1", section: ".text", reason: overlap)) {
            try openSpec(SyntheticObjects.manyCalls(count: 50, functions: .overlapping))
        }
        // Each of N functions running to the section's end once decoded N²/2 instructions.
        let ratio = Scaling.ratio(500, make: { SyntheticObjects.manyCalls(count: $0, functions: .overlapping) }) {
            bytes in
            if (try? openSpec(bytes)) != nil { Issue.record("overlapping functions opened") }
        }
        #expect(ratio < 16, "at 8× the functions: \(ratio)× the time")
    }

    @Test("N aliases of one function open as N programs sharing its arrays and link to one placed copy: linear")
    func aliases() throws {
        let spec = try openSpec(SyntheticObjects.manyCalls(count: 50, functions: .aliases))
        #expect(spec.programs.filter(\.isSubprogram).map(\.instructions.count) == Array(repeating: 100, count: 50))
        let linked = try Linker.link(spec, program: "entry")
        #expect(linked.subprograms == ["f0"] && linked.instructions.count == 52 + 100)
        let ratio = Scaling.ratio(300, make: { SyntheticObjects.manyCalls(count: $0, functions: .aliases) }) { bytes in
            guard let spec = try? openSpec(bytes) else { Issue.record("the aliases do not open"); return }
            _ = try? Linker.link(spec, program: "entry")
        }
        #expect(ratio < 16, "at 8× the aliases: \(ratio)× the time")
    }

    @Test("line info of a section name reaches the first program section of the name alone: open and link linear")
    func sameNamedSections() throws {
        let spec = try openSpec(SyntheticObjects.sameNamedSections(count: 20, records: 30))
        #expect(spec.programs.map(\.name) == (0..<20).map { "e\($0)" })
        #expect(spec.programs.map(\.lineRecords.count) == [30] + Array(repeating: 0, count: 19))
        #expect(
            try Linker.link(spec, program: "e0").lineInfo.map(\.instruction) == Array(repeating: 0, count: 29) + [1])
        let ratio = Scaling.ratio(300, make: { SyntheticObjects.sameNamedSections(count: $0, records: $0) }) { bytes in
            guard let spec = try? openSpec(bytes) else { Issue.record("the sections do not open"); return }
            for p in spec.programs.indices { _ = try? Linker.link(spec, programAt: p) }
        }
        #expect(ratio < 16, "at 8× the sections and records: \(ratio)× the time")
    }

    @Test("CO-RE over function prototypes sharing their parameters (width^depth paths): linear in depth, right answer")
    func prototypeDAG() throws {
        let ratio = Scaling.ratio(1, make: { SyntheticObjects.coreOverPrototypeDAG(depth: $0 + 2, width: 2) }) {
            bytes in
            guard var spec = try? openSpec(bytes), let btf = spec.btf else {
                Issue.record("the synthetic object does not open"); return
            }
            _ = try? spec.relocateCORE(against: [btf])
        }
        #expect(ratio < 16, "at 8× the depth: \(ratio)× the time")
        var spec = try openSpec(SyntheticObjects.coreOverPrototypeDAG(depth: 14, width: 8))
        let outcomes = try spec.relocateCORE(against: [try #require(spec.btf)])
        #expect(outcomes.map(\.value) == [1], "\(outcomes)")
        let (bytes, top) = HostileBTF.prototypeDAG(depth: 14, width: 4)
        try bytes.withUnsafeBytes { raw in
            let btf = try BTF(unsafeBytes: raw)
            #expect(try COREResolver.compatible(btf, top, btf, top) == true)
            #expect(
                try COREResolver.compatible(btf, top, btf, top - 2) == false,
                "a prototype one level shallower differs at the bottom")
        }
    }
}

extension ScalingTests {
    @Test("access strings longer than 64 steps (through a self-containing struct) are refused; 64 resolve")
    func selfContainingAccess() throws {
        var long = try openSpec(SyntheticObjects.coreThroughSelfContainingStruct(steps: 65, records: 3))
        #expect {
            _ = try long.relocateCORE(against: [try #require(long.btf)])
        } throws: { error in
            guard case let .invalidInstruction(_, _, reason) = error as? ObjectError else { return false }
            return reason == .core(.accessTooLong(steps: 65, limit: CORE.maximumAccessLength))
        }
        var fits = try openSpec(SyntheticObjects.coreThroughSelfContainingStruct(steps: 64, records: 3))
        let outcomes = try fits.relocateCORE(against: [try #require(fits.btf)])
        #expect(outcomes.count == 3 && outcomes.allSatisfy { $0.value == 0 })
    }
}
