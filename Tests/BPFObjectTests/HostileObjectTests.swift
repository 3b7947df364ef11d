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
    @Test(
        "a relocation section linked to a second, larger symbol table is refused, not indexed into the first",
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

    @Test(
        "relocation sections whose headers name the same bytes are refused at open and at link (N×R references before)")
    func sharedRelocationBytes() throws {
        for name in ["maps.bpfel.o", "maps.bpfeb.o", "usdt.bpfel.o"] {
            let bytes = try #require(HostileObjects.sharedRelocationBytes(try testObject(name), copies: 200))
            #expect(bytes.withUnsafeBytes { Harness.elf($0) } == nil, "each header alone is valid: \(name)")
            #expect {
                _ = try openSpec(bytes)
            } throws: { error in
                guard case let .elf(e) = error as? ObjectError, case .sectionsShareBytes = e.reason else {
                    return false
                }
                return true
            }
            #expect {
                _ = try bytes.withUnsafeBytes { raw in
                    try BPFLinker.link([BPFLinker.Input(name: name, file: try ELFFile(unsafeBytes: raw))])
                }
            } throws: { error in
                guard case let .elf(e) = (error as? LinkError)?.problem, case .sectionsShareBytes = e.reason else {
                    return false
                }
                return true
            }
        }
        // A copy or two share fewer bytes than the file holds outside sections (its headers): the
        // sum stays within the file, and so does the work, which is what the check bounds.
        let once = try #require(HostileObjects.sharedRelocationBytes(try testObject("counter.bpfel.o"), copies: 1))
        try once.withUnsafeBytes { raw in try ELFFile(unsafeBytes: raw).requireSectionsApart() }
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
                return map == "outer.inner" && reason == .innerMapHasValues
            }
        }
    }
}

extension HostileObjectTests {
    @Test("a __kconfig extern of 0 bytes is refused on open (it underflowed a bit count at load)")
    func zeroSizeKconfigExtern() throws {
        for name in ["kconfig.bpfel.o", "kconfig.bpfeb.o"] {
            let bytes = try #require(HostileObjects.zeroSizeKconfigExtern(try testObject(name)))
            #expect {
                _ = try openSpec(bytes).kconfigValues(KernelConfig(values: ["LINUX_KERNEL_VERSION": "1"]))
            } throws: { error in
                guard case let .invalidMap(map, section, reason) = error as? ObjectError else { return false }
                return map == "LINUX_KERNEL_VERSION" && section == ".kconfig"
                    && reason == .unsupportedExternType(.integer(bytes: 0))
            }
        }
    }

    @Test(
        "__kconfig externs declaring gigabytes are refused on open, and a .kconfig map grown after open before its bytes are made (fuzzer: a 4 GiB allocation)"
    )
    func hugeKconfigExterns() throws {
        // Found by FuzzObject: a char array extern of ~4 GiB made kconfigValues allocate the map's value.
        let found = try Array(
            Data(contentsOf: URL(fileURLWithPath: TestPaths.root + "/Tests/Regressions/FuzzObject/kconfig-4gib-extern"))
        )
        #expect {
            _ = try openSpec(found)
        } throws: { error in
            guard case let .invalidMap(_, section, reason) = error as? ObjectError else { return false }
            return section == ".kconfig" && reason == .externsTooLarge(limit: ObjectSpec.maximumKconfigSize)
        }
        var s = try spec("kconfig.bpfel.o")
        let index = try #require(s.kconfigMapIndex)
        s.maps[index].valueSize = UInt32.max - 7
        #expect(throws: ObjectError.self) { _ = try s.kconfigValues(KernelConfig(values: [:])) }
    }

    @Test("the most negative 64-bit number in a configuration value is read, not negated into a trap")
    func mostNegativeConfigValue() throws {
        let s = try spec("kconfig.bpfel.o")
        let config = KernelConfig(values: [
            "LINUX_KERNEL_VERSION": "1", "CONFIG_BPF_SYSCALL": "y", "CONFIG_HZ": "-9223372036854775808",
        ])
        #expect {
            _ = try s.kconfigValues(config)
        } throws: { error in
            guard case let .unresolvedRelocation(_, _, symbol, reason) = error as? ObjectError else { return false }
            return symbol == "CONFIG_HZ" && reason == .configValue("-9223372036854775808", .outOfRange(bytes: 4))
        }
        var fits = config
        fits["CONFIG_HZ"] = "-2147483648"
        let bytes = try s.kconfigValues(fits)
        let hz = try #require(s.kconfigExterns.first { $0.name == "CONFIG_HZ" })
        #expect(Array(bytes[Int(hz.offset)..<Int(hz.offset) + 4]) == [0, 0, 0, 0x80])
    }
}

extension HostileObjectTests {
    @Test("'values' beside a value size other than 4, or on a map that takes no slots, is refused on open")
    func oversizedSlotValues() throws {
        for name in ["maps.bpfel.o", "maps.bpfeb.o"] {
            let object = try testObject(name)
            let oversized = try #require(
                HostileObjects.rewrittenMapMember(
                    object, map: "jumps", member: "max_entries", renamed: "value_size",
                    typeOf: "max_entries", in: "hash"))
            #expect {
                _ = try openSpec(oversized)
            } throws: { error in
                guard case let .invalidMap(map, _, reason) = error as? ObjectError else { return false }
                return map == "jumps" && reason == .valueSizeConflictsWithValues(64)
            }
            let hash = try #require(
                HostileObjects.rewrittenMapMember(
                    object, map: "jumps", member: "type", renamed: "type",
                    typeOf: "type", in: "hash"))
            #expect {
                _ = try openSpec(hash)
            } throws: { error in
                guard case let .invalidMap(map, _, reason) = error as? ObjectError else { return false }
                return map == "jumps" && reason == .valuesOnMapType(.hash)
            }
        }
    }

    @Test("sizes changed after open are checked before the loader writes contents, slots or kconfig values")
    func adjustedSizes() throws {
        var s = try spec("maps.bpfel.o")
        try s.checkMapsForLoad()
        let jumps = try #require(s.maps.firstIndex { $0.name == "jumps" })
        s.maps[jumps].valueSize = 64
        #expect(throws: ObjectError.self) { try s.checkMapsForLoad() }
        s.maps[jumps].valueSize = 4
        s.maps[jumps].type = .hash
        #expect(throws: ObjectError.self) { try s.checkMapsForLoad() }

        var globals = try spec("globals.bpfel.o")
        let data = try #require(globals.maps.firstIndex { !$0.contents.isEmpty })
        globals.maps[data].valueSize += 64
        #expect(throws: ObjectError.self) { try globals.checkMapsForLoad() }

        var kconfig = try spec("kconfig.bpfel.o")
        let map = try #require(kconfig.kconfigMapIndex)
        kconfig.maps[map].valueSize = 4
        #expect(throws: ObjectError.self) { try kconfig.kconfigValues(KernelConfig(values: [:])) }
    }
}

extension HostileObjectTests {
    @Test(
        "instructions that carry a map fd or index, a BTF id, a function or a kfunc call without a relocation are refused",
        arguments: [
            (PseudoSource.mapFD, false), (PseudoSource.mapValue, false), (PseudoSource.btfID, false),
            (PseudoSource.function, false),
            (PseudoSource.mapIndex, false), (PseudoSource.mapIndexValue, false), (PseudoSource.kfuncCall, true),
        ])
    func pseudoSourceWithoutRelocation(source: UInt8, call: Bool) throws {
        for name in ["multi.bpfel.o", "multi.bpfeb.o"] {
            let bytes = try #require(
                HostileObjects.pseudoSourceWithoutRelocation(
                    try testObject(name), source: source, immediate: 3, call: call))
            #expect {
                _ = try openSpec(bytes)
            } throws: { error in
                guard case let .invalidInstruction(_, instruction, reason) = error as? ObjectError else { return false }
                return instruction == 0 && reason == .kernelReferenceWithoutRelocation(call: call, source: source)
            }
        }
    }
}

extension HostileObjectTests {
    @Test(
        "structure-aware mutations of TestData objects, chained, end in a spec or a typed error through the whole harness"
    )
    func structureMutations() throws {
        var seed: UInt32 = 1
        var edited = 0, rejected = 0
        for name in [
            "multi.bpfel.o", "maps.bpfeb.o", "kconfig.bpfel.o", "ksym.bpfel.o", "tcp_cc.bpfel.o", "legacy.bpfel.o",
        ] {
            let original = try testObject(name)
            for _ in 0..<40 {
                var bytes = original
                for _ in 0..<3 {
                    var mutator = StructureMutator(seed: seed)
                    seed &+= 1
                    if let next = mutator.mutateELF(bytes) { bytes = next; edited += 1 }
                }
                let start = ContinuousClock.now
                rejected += bytes.withUnsafeBytes { Harness.object($0) } == nil ? 0 : 1
                #expect(ContinuousClock.now - start < .seconds(2), "\(name) seed \(seed)")
            }
        }
        #expect(edited > 400, "the mutator edits most inputs it is given")
        #expect(rejected > 0 && rejected < 240, "some mutants are refused, some still read")
    }

    @Test(
        "BTF mutations: retargeted references, kinds, vlens, sizes and copies stay inside the blob and parse or fail typed"
    )
    func btfMutations() throws {
        let btf = try #require(try ELFFile(ByteStorage(copying: try testObject("core.bpfel.o"))).section(named: ".BTF"))
        let original = Array(btf.data)
        var seed: UInt32 = 7, edited = 0
        for _ in 0..<300 {
            var mutator = StructureMutator(seed: seed)
            seed &+= 1
            guard let bytes = mutator.mutateBTF(original) else { continue }
            edited += 1
            bytes.withUnsafeBytes { _ = Harness.btf($0) }
        }
        #expect(edited > 250)
    }
}

extension HostileObjectTests {
    @Test("the mutator itself never traps: an object with an empty symbol table and relocations (a fuzzer finding)")
    func mutatorOnEmptyTables() throws {
        var editor = ELFEditor(order: .little)
        let code = editor.append(
            .init(
                type: SectionType.progbits.rawValue, flags: SectionFlags.execInstr.rawValue,
                data: [UInt8](repeating: 0, count: 16)), named: "socket")
        let symtab = editor.append(.init(type: SectionType.symtab.rawValue, link: 5, entrySize: 24), named: ".symtab")
        editor.append(
            .init(
                type: SectionType.rel.rawValue, link: UInt32(symtab), info: UInt32(code), entrySize: 16,
                data: [UInt8](repeating: 0, count: 16)), named: ".relsocket")
        editor.append(.init(type: SectionType.strtab.rawValue, alignment: 1, data: [0]), named: ".strtab")
        let bytes = editor.bytes
        #expect(HostileObjects.secondSymbolTable(bytes, extra: 0) == nil)
        for seed in UInt32(0)..<2000 {
            var mutator = StructureMutator(seed: seed)
            if let mutated = mutator.mutateELF(bytes) { mutated.withUnsafeBytes { _ = Harness.object($0) } }
        }
    }
}
