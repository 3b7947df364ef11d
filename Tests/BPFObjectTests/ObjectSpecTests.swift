import BPFObject
import BTF
import ELF64
import TestSupport
import Testing

func spec(_ name: String) throws -> ObjectSpec {
    try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/" + name)
}

@Suite("Object spec")
struct ObjectSpecTests {
    @Test("alias.bpf.c: each function alias is a program of its own sharing its function's instructions and references")
    func functionAliases() throws {
        for order in ["el", "eb"] {
            let s = try spec("alias.bpf\(order).o")
            #expect(s.programs.map(\.name) == ["sub", "sub_alias", "prog", "prog_alias", "caller"])
            #expect(s.entryPrograms.map(\.name) == ["prog", "prog_alias", "caller"])
            for (name, alias) in [("sub", "sub_alias"), ("prog", "prog_alias")] {
                let function = try #require(s.program(named: name)), aliased = try #require(s.program(named: alias))
                #expect(aliased.instructions == function.instructions && aliased.references == function.references)
                #expect(aliased.sectionOffset == function.sectionOffset && !function.references.isEmpty)
            }
            // Each alias links with its map load; calls through an alias reach the one placed copy.
            #expect(try Linker.link(s, program: "prog_alias").mapLoads.count == 1)
            let caller = try Linker.link(s, program: "caller")
            #expect(caller.subprograms == ["sub"] && caller.mapLoads.count == 1)
        }
    }

    @Test("multi.bpf.c: programs, maps, global data, license")
    func multi() throws {
        let s = try spec("multi.bpfel.o")
        #expect(s.name == "multi" && s.license == "GPL")
        #expect(
            s.entryPrograms.map(\.name) == [
                "count_packets", "xdp_pass", "xdp_drop_large", "trace_openat", "tc_ingress",
            ])
        #expect(s.programs.filter(\.isSubprogram).map(\.name).sorted() == ["bump", "oversized"])
        #expect(s.program(named: "xdp_pass")?.kind?.programType == .xdp)
        #expect(s.program(named: "trace_openat")?.kind?.attachTarget == "syscalls/sys_enter_openat")
        let counts = try #require(s.map(named: "counts"))
        #expect(
            counts.type == .hash && counts.keySize == 4 && counts.valueSize == 8 && counts.maxEntries == 128
                && counts.origin == .btf)
        #expect(s.map(named: "totals").map { $0.valueSize == 16 && $0.maxEntries == 4 } == true)
        let rodata = try #require(s.map(named: "multi.rodata"))
        #expect(rodata.origin == .data(section: ".rodata", readOnly: true) && rodata.isReadOnlyData)
        #expect(rodata.flags == MapFlag.mmapable | MapFlag.readOnlyProgram)
        #expect(rodata.contents == [0xe8, 0x03, 0, 0])  // size_limit = 1000
        #expect(rodata.valueTypeID != 0)
        #expect(s.map(named: "multi.bss").map { $0.contents.isEmpty && $0.valueSize == 8 } == true)
        #expect(s.map(named: "multi.data")?.contents == [7, 0, 0, 0])
        #expect(s.map(named: ".data.custom")?.contents == [3, 0, 0, 0])
        #expect(s.unknownSections.isEmpty && s.untypedProgramSections.isEmpty)
    }

    @Test("both byte orders give the same spec", arguments: ["multi", "maps", "legacy", "types", "minimal"])
    func byteOrders(_ name: String) throws {
        let el = try spec(name + ".bpfel.o"), eb = try spec(name + ".bpfeb.o")
        #expect(el.programs.map(\.name) == eb.programs.map(\.name))
        #expect(el.programs.map(\.instructions) == eb.programs.map(\.instructions))
        #expect(el.programs.map(\.references) == eb.programs.map(\.references))
        #expect(el.maps.map(\.name) == eb.maps.map(\.name))
        #expect(
            el.maps.map { [$0.type.rawValue, $0.keySize, $0.valueSize, $0.maxEntries, $0.flags] }
                == eb.maps.map { [$0.type.rawValue, $0.keySize, $0.valueSize, $0.maxEntries, $0.flags] })
        for program in el.entryPrograms {
            #expect(
                try Linker.link(el, program: program.name).instructions
                    == Linker.link(eb, program: program.name).instructions)
        }
    }

    @Test("maps.bpf.c: kinds, inner-map template, initial slots")
    func maps() throws {
        let s = try spec("maps.bpfel.o")
        let types = Dictionary(uniqueKeysWithValues: s.maps.map { ($0.name, $0.type) })
        #expect(types["percpu_hash"] == .perCPUHash && types["lpm"] == .lpmTrie && types["ringbuf"] == .ringBuffer)
        #expect(types["queue"] == .queue && types["stack"] == .stack && types["perf_events"] == .perfEventArray)
        let outer = try #require(s.map(named: "outer"))
        #expect(
            outer.type == .arrayOfMaps && outer.innerMap?.spec.type == .array && outer.innerMap?.spec.valueSize == 4)
        #expect(outer.slots == [0: .map("inner_a"), 2: .map("inner_b")])
        #expect(s.map(named: "jumps")?.slots == [1: .program("tail_target")])
        #expect(s.map(named: "lpm")?.flags == 1)  // BPF_F_NO_PREALLOC
    }

    @Test("legacy maps and the version section")
    func legacy() throws {
        let s = try spec("legacy.bpfel.o")
        #expect(s.kernelVersion == 0x060000)
        let counts = try #require(s.map(named: "legacy_counts"))
        #expect(
            counts.origin == .legacy && counts.type == .array && counts.keySize == 4 && counts.valueSize == 8
                && counts.maxEntries == 2)
        #expect(s.map(named: "legacy_hash")?.type == .hash)
        let program = try #require(s.program(named: "count_legacy"))
        #expect(program.kind?.legacyMatch == true && program.kind?.programType == .socketFilter)
        #expect(
            Set(program.references.compactMap { if case let .map(m) = $0.target { s.maps[m].name } else { nil } }) == [
                "legacy_counts", "legacy_hash",
            ])
    }

    @Test("linking: subprograms appended once, calls and callbacks relative, func_info per function")
    func linking() throws {
        let s = try spec("multi.bpfel.o")
        let linked = try Linker.link(s, program: "count_packets")
        #expect(Set(linked.subprograms) == ["bump", "oversized"])
        let entry = try #require(s.program(named: "count_packets"))
        #expect(
            linked.instructions.count == entry.instructions.count
                + s.programs.filter { linked.subprograms.contains($0.name) }.map(\.instructions.count).reduce(0, +))
        #expect(linked.functionInfo.map(\.instruction).first == 0)
        #expect(linked.functionInfo.count == 3)
        // Every BPF-to-BPF call lands on the first instruction of a placed function.
        let starts = Set(linked.functionInfo.map(\.instruction))
        for (i, insn) in linked.instructions.enumerated() where insn.isPseudoCall {
            #expect(starts.contains(i + Int(insn.immediate) + 1), "call at \(i) lands mid-function")
        }
        #expect(linked.lineInfo.first?.instruction == 0)
        #expect(linked.lineInfo.map(\.instruction) == linked.lineInfo.map(\.instruction).sorted())
        // Map loads carry map indices until the loader swaps in descriptors.
        for load in linked.mapLoads {
            let insn = linked.instructions[load.instruction]
            #expect(insn.isLoadImmediate64 && Int(insn.immediate) == load.map)
        }
        let names = Set(linked.mapLoads.map { s.maps[$0.map].name })
        #expect(names == ["counts", "totals", "multi.bss", "multi.rodata"])

        let callbacks = try Linker.link(try spec("maps.bpfel.o"), program: "use_maps")
        #expect(Set(callbacks.subprograms) == ["add_index", "sum_value"])
        let functionLoads = callbacks.instructions.enumerated().filter { $0.element.isPseudoFunction }
        #expect(functionLoads.count == 2)
        let callbackStarts = Set(callbacks.functionInfo.map(\.instruction))
        for (i, insn) in functionLoads { #expect(callbackStarts.contains(i + Int(insn.immediate) + 1)) }
    }

    @Test("a relocation against something that is not code, maps or data is a typed error naming the place")
    func unknownProgramByName() throws {
        let s = try spec("multi.bpfel.o")
        #expect(throws: ObjectError.invalidProgram(name: "nope", section: "", reason: .noSuchProgram)) {
            try Linker.link(s, program: "nope")
        }
    }

    @Test(
        "the BTF for the kernel: patched in place, it decodes to the same types as the rebuilt one",
        // (link_*: halves of a static link, whose extern VARs no load ever sees: `gen object` resolves them.)
        arguments: TestPaths.testDataObjects.filter { $0.hasSuffix(".bpfel.o") && !$0.contains("/link_") })
    func kernelBTFInPlace(_ path: String) throws {
        let s = try ObjectSpec(contentsOfFile: path)
        guard let bytes = try Self.kernelBTFMatchesRebuilt(s) else { return }
        // Where no extern needs a rewrite, the bytes are the object's own blob: same length.
        if s.ksymExterns.isEmpty, s.kconfigExterns.isEmpty, let btf = s.btf { #expect(bytes.count == btf.bytes.count) }
        // Each DATASEC naming an ELF section: that section's size, its variables at their symbols, in order.
        let symbols = try #require(try s.elf.symbolTable())
        try bytes.withUnsafeBytes { raw in
            let fixed = try BTF(unsafeBytes: raw)
            for (id, name) in fixed.types(ofKind: .dataSection) {
                guard let section = s.elf.section(named: String(name)) else { continue }
                let datasec = try fixed.type(id)
                #expect(UInt64(datasec.size) == section.size, "\(name)")
                let offsets = datasec.variables.map(\.offset)
                #expect(offsets == offsets.sorted(), "\(name)")
                for variable in datasec.variables {
                    let variableName = try fixed.type(variable.type).name
                    let symbol = symbols.first { $0.section == .index(section.index) && $0.name == variableName }
                    #expect(symbol.map { UInt32($0.value) == variable.offset } ?? true, "\(name) \(variableName)")
                }
            }
        }
    }
    @Test("a DATASEC whose variables' symbols lie out of BTF order reaches the kernel sorted by offset")
    func kernelBTFSortsDataSection() throws {
        // counter.bpfel.o's .bss lists getpid_calls (symbol at 0) then syscalls (at 8): its two
        // entries swapped in the file, the placed offsets come out 8, 0 and must be sorted.
        let original = try spec("counter.bpfel.o")
        let btf = try #require(original.btf)
        let (id, _) = try #require(btf.types(ofKind: .dataSection).first { $0.name.matches(".bss") })
        let record = try #require(btf.recordOffset(of: id))
        let section = try #require(original.elf.section(named: ".BTF"))
        var bytes = Array(original.elf.bytes)
        let first = Int(section.offset) + (btf.bytes.baseAddress! - section.data.baseAddress!) + record + 12
        let entries = Array(bytes[first..<first + 24])
        bytes.replaceSubrange(first..<first + 24, with: entries[12..<24] + entries[0..<12])
        let swapped = try ObjectSpec(bytes: bytes, name: "counter")
        let fixed = try #require(try Self.kernelBTFMatchesRebuilt(swapped))
        let names = try fixed.withUnsafeBytes { raw -> [String] in
            let kernel = try BTF(unsafeBytes: raw)
            let datasec = try kernel.type(id)
            #expect(datasec.variables.map(\.offset) == [0, 8])
            return try datasec.variables.map { String(try kernel.type($0.type).name) }
        }
        #expect(names == ["getpid_calls", "syscalls"])
    }
}

extension ObjectSpecTests {
    /// The in-place BTF for the kernel, checked to decode to the same types as ``ObjectSpec/btfForKernel()``
    /// rebuilds; nil for an object without BTF.
    static func kernelBTFMatchesRebuilt(_ s: ObjectSpec) throws -> [UInt8]? {
        guard let rebuilt = try s.btfForKernel() else { return nil }
        let bytes = try #require(try s.btfBytesForKernel(supporting: .all))
        let loaded = try bytes.withUnsafeBytes { try BTFBuilder(decoding: try BTF(unsafeBytes: $0)).types }
        let reference = try rebuilt.encode().withUnsafeBytes {
            try BTFBuilder(decoding: try BTF(unsafeBytes: $0)).types
        }
        #expect(loaded == reference, "\(s.name)")
        return bytes
    }
}

@Suite("Public corpus specs (../shared/corpus, when present)")
struct CorpusSpecTests {
    @Test("the BTF for the kernel of every corpus object with BTF: patched in place, the rebuilt one's types")
    func kernelBTFInPlace() throws {
        var compared = 0
        for (_, path) in TestPaths.corpusFiles where path.hasSuffix(".o") {
            guard let s = try? ObjectSpec(contentsOfFile: path), (try? s.btfForKernel()) != nil else { continue }
            if try ObjectSpecTests.kernelBTFMatchesRebuilt(s) != nil { compared += 1 }
        }
        #expect(TestPaths.corpusFiles.isEmpty || compared > 50, "\(compared) compared")
    }

    @Test("every object builds a spec and links every entry program, or fails with a typed error")
    func corpus() throws {
        let files = TestPaths.corpusFiles.filter { $0.relative.hasSuffix(".o") || $0.relative.hasSuffix(".elf") }
        if let missing = Host.missing("../shared/corpus", present: !files.isEmpty) {
            Issue.record(Comment(rawValue: missing))
        }
        guard !files.isEmpty else { return }
        var built = 0, linked = 0, reasons: [String: Int] = [:]
        for (_, path) in files {
            do {
                let s = try ObjectSpec(contentsOfFile: path)
                built += 1
                for p in s.entryPrograms {
                    do { _ = try Linker.link(s, program: p.name); linked += 1 } catch {
                        reasons[
                            "link: " + String("\(error)".split(separator: ":").last ?? "").prefix(60).description,
                            default: 0] += 1
                    }
                }
            } catch {
                reasons["spec: " + String("\(error)".prefix(50)), default: 0] += 1
            }
        }
        print(
            "corpus specs: \(built) built, \(linked) programs linked; failures: \(reasons.sorted { $0.value > $1.value }.prefix(12))"
        )
        #expect(built > 200)
    }
}

@Suite("libbpf's SEC(\"?…\") prefix")
struct OptionalProgramTests {
    @Test(
        "a program in SEC(\"?socket\") has the socket kind and is not loaded unless asked, in either byte order",
        arguments: ["optional.bpfel.o", "optional.bpfeb.o"])
    func optionalSection(object: String) throws {
        var s = try spec(object)
        let maybe = try #require(s.program(named: "maybe")), always = try #require(s.program(named: "always"))
        #expect(maybe.sectionName == "?socket" && maybe.kind?.programType == always.kind?.programType)
        #expect(maybe.kind?.pattern == "socket" && !maybe.autoLoad && always.autoLoad)
        #expect(s.programsToLoad.map(\.name) == ["always"])
        try s.setAutoLoad(true, program: "maybe")
        #expect(s.programsToLoad.map(\.name).sorted() == ["always", "maybe"])
    }
}
