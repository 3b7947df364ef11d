import BPFObject
import BTF
import ELF64
import ParserHarness
import TestSupport
import Testing

/// The shapes a hostile review found after the first fixes: each linear now (N and 8N within 16×),
/// or refused with a typed error, and each a generator kept here.
@Suite("Hostile review findings")
struct ReviewFindingTests {
    @Test("a program named after a long section name: built in linear time, named right")
    func longSectionName() throws {
        let ratio = Scaling.ratio(400, make: { SyntheticObjects.longSectionName(length: $0) }) { bytes in
            _ = try? openSpec(bytes)
        }
        #expect(ratio < 16, "\(ratio)")
        let spec = try openSpec(SyntheticObjects.longSectionName(length: 40))
        #expect(spec.programs.map(\.name) == [String(repeating: "x", count: 40)])
    }

    @Test("a struct_ops variable listed many times is refused (its bytes were copied per entry)")
    func structOpsListedTwice() throws {
        #expect {
            _ = try openSpec(SyntheticObjects.structOpsListedTwice(entries: 2, size: 64))
        } throws: { error in
            guard case let .invalidMap(name, _, reason) = error as? ObjectError else { return false }
            return name == "v" && reason == .overlaps(other: "v")
        }
        let single = try openSpec(SyntheticObjects.structOpsListedTwice(entries: 1, size: 64))
        #expect(single.maps.map(\.name) == ["v"] && single.maps.first?.structOps?.data.count == 64)
    }

    @Test("legacy maps named by suffixes of one long string: refused past 1,024 bytes, linear below")
    func legacySuffixNames() throws {
        #expect {
            _ = try openSpec(SyntheticObjects.legacyMapsWithSuffixNames(count: 10, length: 3000))
        } throws: { error in
            guard case let .invalidMap(_, _, reason) = error as? ObjectError else { return false }
            return reason == .nameTooLong(bytes: 3000, limit: ObjectSpec.maximumNameLength)
        }
        let ratio = Scaling.ratio(
            300, make: { SyntheticObjects.legacyMapsWithSuffixNames(count: $0, length: 1024 + $0) }
        ) { bytes in
            _ = try? openSpec(bytes)
        }
        #expect(ratio < 16, "\(ratio)")
        let spec = try openSpec(SyntheticObjects.legacyMapsWithSuffixNames(count: 5, length: 100))
        #expect(spec.maps.map(\.name.count) == [100, 99, 98, 97, 96])
    }

    @Test("CO-RE access strings longer than 704 bytes are refused before each record copies them")
    func longAccessStrings() throws {
        var spec = try openSpec(
            SyntheticObjects.coreThroughSelfContainingStruct(steps: 1, records: 4, leadingZeros: 800))
        #expect {
            _ = try spec.relocateCORE(against: [try #require(spec.btf)])
        } throws: { error in
            guard case let .invalidInstruction(_, _, reason) = error as? ObjectError else { return false }
            return reason == .core(.accessStringTooLong(bytes: 801, limit: CORE.maximumAccessStringLength))
        }
        let ratio = Scaling.ratio(
            500, make: { SyntheticObjects.coreThroughSelfContainingStruct(steps: 1, records: $0, leadingZeros: 700) }
        ) { bytes in
            guard var spec = try? openSpec(bytes), let btf = spec.btf else { return }
            _ = try? spec.relocateCORE(against: [btf])
        }
        #expect(ratio < 16, "\(ratio)")
    }
}

@Suite("Hostile review findings, BTF")
struct ReviewBTFFindingTests {
    @Test("thousands of forward declarations sharing a name: C dump in linear time")
    func forwardsSharingAName() throws {
        let ratio = Scaling.ratio(1_000, make: { HostileBTF.forwardsSharingAName(count: $0) }) { bytes in
            bytes.withUnsafeBytes { raw in
                var text = ""; _ = try? BTF(unsafeBytes: raw).dumpC(to: &text)
            }
        }
        #expect(ratio < 16, "\(ratio)")
    }

    @Test("members named by suffixes of one long string: decode, raw dump and C dump stay linear or stop typed")
    func suffixNames() throws {
        let ratio = Scaling.ratio(2_000, make: { HostileBTF.suffixNames(members: $0, length: 4_000) }) { bytes in
            bytes.withUnsafeBytes { raw in
                guard let btf = try? BTF(unsafeBytes: raw) else { return }
                _ = try? BTFBuilder(decoding: btf).encode()
                var raw = "", c = ""
                _ = try? btf.dumpRaw(to: &raw)
                _ = try? btf.dumpC(to: &c)
            }
        }
        #expect(ratio < 16, "\(ratio)")
        // The builder holds one String per distinct offset (4,000 here, each at most 4 KiB); the raw dump,
        // which prints each member's name, stops with a typed error past its limit rather than write 120 MB.
        let bytes = HostileBTF.suffixNames(members: 60_000, length: 4_000)
        try bytes.withUnsafeBytes { raw in
            let btf = try BTF(unsafeBytes: raw)
            #expect(try BTFBuilder(decoding: btf).types.count == 2)
            var text = ""
            #expect(throws: BTFError.self) { try btf.dumpRaw(to: &text) }
        }
    }

    @Test("a name longer than 4 KiB reads as absent: a typed error where it is asked for, not a scan per use")
    func overlongName() throws {
        let bytes = HostileBTF.sharedLongName(members: 2, length: 5_000)
        try bytes.withUnsafeBytes { raw in
            let btf = try BTF(unsafeBytes: raw)
            let wide = try btf.type(2)
            #expect(wide.members.allSatisfy { $0.name.isEmpty })
            #expect {
                _ = try btf.string(at: wide.members.first?.nameOffset ?? 0)
            } throws: { error in
                guard let error = error as? BTFError, case .stringTooLong(_, 4096) = error.reason else { return false }
                return true
            }
        }
    }
}

extension ReviewFindingTests {
    @Test(
        "a map variable listed twice, or a definition with a field twice, is refused; maps sharing a definition read it once"
    )
    func mapDefinitionsWalkedOnce() throws {
        let object = try testObject("maps.bpfel.o")
        #expect {
            _ = try openSpec(try #require(HostileObjects.mapListedTwice(object)))
        } throws: { error in
            guard case let .invalidMap(_, _, reason) = error as? ObjectError else { return false }
            return reason == .listedTwice
        }
        let twice = try #require(
            HostileObjects.rewrittenMapMember(
                object, map: "hash", member: "max_entries", renamed: "type",
                typeOf: "type", in: "hash"))
        #expect {
            _ = try openSpec(twice)
        } throws: { error in
            guard case let .invalidMap(name, _, reason) = error as? ObjectError else { return false }
            return name == "hash" && reason == .memberTwice("type")
        }
        // inner_a and inner_b share `struct inner`: both read right from the one walk.
        let spec = try openSpec(object)
        for name in ["inner_a", "inner_b"] {
            let map = try #require(spec.map(named: name))
            #expect(map.type == .array && map.keySize == 4 && map.valueSize == 4 && map.maxEntries == 1, "\(name)")
        }
        #expect(spec.map(named: "outer")?.innerMap?.spec.name == "outer.inner")
        #expect(spec.map(named: "outer_hash")?.innerMap?.spec.name == "outer_hash.inner")
    }
}

/// The kernel-side review's findings that a pure test can show.
@Suite("Hostile review findings, second round")
struct SecondReviewFindingTests {
    @Test("a struct_ops map given slots or contents is refused before load (its value is the kernel's size)")
    func structOpsSlots() throws {
        var spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/tcp_cc.bpfel.o")
        try spec.checkMapsForLoad()
        let index = try #require(spec.maps.firstIndex { $0.structOps != nil })
        spec.maps[index].type = .programArray
        spec.maps[index].keySize = 4
        spec.maps[index].valueSize = 4
        spec.maps[index].slots = [0: .program("x")]
        #expect(throws: ObjectError.self) { try spec.checkMapsForLoad() }
    }

    @Test("a function whose name is longer than 4 KiB is refused, not silently dropped")
    func overlongProgramName() throws {
        let bytes = try #require(
            HostileObjects.renamedSymbol(
                try testObject("minimal.bpfel.o"), "accept_all", to: String(repeating: "a", count: 5000)))
        #expect {
            _ = try openSpec(bytes)
        } throws: { error in
            guard case let .invalidProgram(_, _, reason) = error as? ObjectError else { return false }
            return reason == .nameLongerThan(limit: 4096)
        }
    }

    @Test(
        "slots naming a program the load does not load, a map it does not create, or the wrong kind are refused before any slot is written",
        arguments: [
            ("jumps", SlotReference.program("add_index")), ("jumps", .program("no_such_program")),
            ("jumps", .map("inner_a")),
            ("outer", .map("no_such_map")), ("outer", .program("tail_target")),
        ])
    func slotReferences(map: String, reference: SlotReference) throws {
        var spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/maps.bpfel.o")
        try spec.checkMapsForLoad()
        let index = try #require(spec.maps.firstIndex { $0.name == map })
        spec.maps[index].slots[3] = reference
        #expect {
            try spec.checkMapsForLoad()
        } throws: { error in
            guard case let .invalidMap(name, _, reason) = error as? ObjectError else { return false }
            switch reason {
            case .slotKind(key: 3, _), .slotProgramNotLoaded(key: 3, _), .slotMapNotCreated(key: 3, _):
                return name == map
            default: return false
            }
        }
    }

    @Test(
        "a slot naming a map is decided by the first map of that name: one left uncreated is refused, a later namesake does not save it"
    )
    func slotMapFirstOfName() throws {
        var spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/maps.bpfel.o")
        let outer = try #require(spec.maps.firstIndex { $0.name == "outer" })
        let inner = try #require(spec.maps.firstIndex { $0.name == "inner_a" })
        spec.maps[outer].slots[3] = .map("inner_a")
        try spec.checkMapsForLoad()
        spec.maps[inner].autoCreate = false
        var namesake = spec.maps[inner]
        namesake.autoCreate = true
        spec.maps.append(namesake)
        #expect {
            try spec.checkMapsForLoad()
        } throws: { error in
            guard case let .invalidMap(name, _, reason) = error as? ObjectError else { return false }
            // `outer` holds `inner_a` at slot 0 too: slots are checked in key order.
            return name == "outer" && reason == .slotMapNotCreated(key: 0, map: "inner_a")
        }
    }

    @Test("thousands of maps: the load checks find the .kconfig map once, not once per map (linear)")
    func manyMapsChecked() throws {
        let ratio = Scaling.ratio(500, make: { SyntheticObjects.manyCalls(count: 1, legacyMapSections: $0) }) { bytes in
            guard let spec = try? openSpec(bytes) else { return }
            for _ in 0..<4 { try? spec.checkMapsForLoad() }
        }
        #expect(ratio < 16, "\(ratio)")
        let spec = try openSpec(SyntheticObjects.manyCalls(count: 1, legacyMapSections: 3))
        try spec.checkMapsForLoad()
        #expect(spec.maps.count == 3 && spec.kconfigMapIndex == nil)
    }
}
