@testable import BPF
import BPFObject
import Foundation
import Glibc
import TestSupport
import Testing

extension KernelTests {
    @Suite("Loading objects into the kernel", kernelTrait)
    struct LoaderTests {
        static let loadable = TestPaths.testDataObjects.map { String($0.split(separator: "/").last!) }
            // rejected: the verifier must refuse it; ksym_variables: needs CONFIG_KALLSYMS_ALL; tracing: fentry/fexit/lsm
            // need trampolines this kernel refuses; link_*: halves of a static link, whose externs only
            // `gen object` resolves (each tested on its own).
            .filter {
                $0.hasSuffix(".bpfel.o") && !$0.hasPrefix("rejected") && !$0.hasPrefix("ksym_variables")
                    && !$0.hasPrefix("tracing") && !$0.hasPrefix("link_")
            }

        @Test("every TestData object loads, every entry program, with no descriptor left behind", arguments: loadable)
        func loads(_ name: String) throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                try withPinRoot { root in
                    let object = try loadTestData(name, pinningUnder(root))
                    #expect(object.programNames == object.spec.programsToLoad.map(\.name))
                    // tcp_cc has an unused struct_ops program, optional a SEC("?socket") one: neither loads.
                    #expect(
                        object.programNames.count == object.spec.entryPrograms.count
                            - (name.hasPrefix("tcp_cc") || name.hasPrefix("optional") ? 1 : 0))
                    for program in object.programNames {
                        let info = try ProgramInfo(of: try object.program(named: program).required(program).descriptor)
                        #expect(info.type == object.spec.program(named: program)?.kind?.programType)
                        #expect(info.name == String(program.prefix(15)))
                    }
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test(
            "an object linked with overridden weak functions (relocations left between functions) opens, loads and runs"
        )
        func overriddenWeakFunctions() throws {
            let path = TestPaths.corpus + "/cilium-ebpf/testdata/linked-el.elf"
            try #require(
                FileManager.default.fileExists(atPath: path) || !Host.required,
                "the shared corpus is required under SWIFTBPF_REQUIRE_KERNEL=1")
            guard FileManager.default.fileExists(atPath: path) else { return }
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    let object = try ObjectSpec(contentsOfFile: path).load()
                    #expect(
                        object.programNames.sorted() == [
                            "entry_l1", "entry_l1_s", "entry_l1_w", "entry_l2", "entry_ww",
                        ])
                    for name in object.programNames {
                        let run = try try object.program(named: name).required(name).testRun(
                            data: [UInt8](repeating: 0, count: 64))
                        #expect(run.returnValue == 0, "\(name)")
                    }
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test("function aliases load as programs of their own, each running the map loads and calls of its function")
        func functionAliases() throws {
            try KernelObjects.exclusively {
                let object = try loadTestData("alias.bpfel.o")
                #expect(object.programNames == ["prog", "prog_alias", "caller"])
                let hits = try object.map(named: "hits").required("hits")
                func total() throws -> UInt64 {
                    try hits.value([0, 0, 0, 0]).reversed().reduce(0) { $0 << 8 | UInt64($1) }
                }
                // prog and its alias add 100; caller calls sub through its alias (adding 1) and directly (2).
                for (name, added) in [("prog", 100), ("prog_alias", 100), ("caller", 3)] as [(String, UInt64)] {
                    let before = try total()
                    let run = try object.program(named: name).required(name).testRun(
                        data: [UInt8](repeating: 0, count: 64))
                    #expect(run.returnValue == 2, "\(name): XDP_PASS")
                    #expect(try total() == before + added, "\(name)")
                }
            }
        }

        @Test("maps match their specs; global data reads back; .rodata is frozen; map_ids list what programs use")
        func mapsInKernel() throws {
            try KernelObjects.exclusively {
                let object = try loadTestData("multi.bpfel.o")
                for spec in object.spec.maps {
                    let info = try MapInfo(of: try object.map(named: spec.name).required(spec.name).descriptor)
                    #expect(info.type == spec.type && info.keySize == spec.keySize && info.valueSize == spec.valueSize)
                    #expect(info.maxEntries == spec.maxEntries && info.flags == spec.flags && info.name == spec.name)
                    if !spec.contents.isEmpty {
                        #expect(
                            try firstValue(
                                try object.map(named: spec.name).required(spec.name), size: spec.contents.count)
                                == spec.contents)
                    }
                }
                let rodata = try object.map(named: "multi.rodata").required("multi.rodata")
                #expect(try rodata.info().btfValueTypeID != 0)
                #expect(throws: SyscallError(operation: "BPF_MAP_UPDATE_ELEM", errno: EPERM)) {
                    try rodata.update([0, 0, 0, 0], [1, 2, 3, 4])
                }
                let data = try object.map(named: "multi.data").required("multi.data")
                try data.update([0, 0, 0, 0], [9, 0, 0, 0])

                let linked = try Linker.link(object.spec, program: "count_packets")
                let used = Set(linked.mapLoads.map { object.spec.maps[$0.map].name })
                let ids = try Set(used.map { try MapInfo(of: try object.map(named: $0).required($0).descriptor).id })
                let info = try ProgramInfo(
                    of: try object.program(named: "count_packets").required("count_packets").descriptor)
                #expect(ids.isSubset(of: Set(info.mapIDs)))
                #expect(info.gplCompatible && info.btfID != 0)
            }
        }

        @Test("program arrays and maps of maps hold their initial values")
        func slots() throws {
            try KernelObjects.exclusively {
                let object = try loadTestData("maps.bpfel.o")
                let jumps = try object.map(named: "jumps").required("jumps")
                let tail = try ProgramInfo(
                    of: try object.program(named: "tail_target").required("tail_target").descriptor)
                // User space reads back ids: of the program in a program array, of the map in a map of maps.
                let slot = try jumps.value([1, 0, 0, 0])
                #expect(slot.withUnsafeBytes { $0.load(as: UInt32.self) } == tail.id)
                let outer = try object.map(named: "outer").required("outer")
                let inner = try outer.value([2, 0, 0, 0])
                let innerB = try MapInfo(of: try object.map(named: "inner_b").required("inner_b").descriptor)
                #expect(inner.withUnsafeBytes { $0.load(as: UInt32.self) } == innerB.id)
                #expect(throws: SyscallError.self) { try outer.value([1, 0, 0, 0]) }
            }
        }

        @Test("a program the verifier rejects: the error carries the verifier's words; nothing leaks")
        func verifierRejects() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    _ = try loadTestData("rejected.bpfel.o")
                    Issue.record("the verifier accepted a scalar dereference")
                } catch let LoadError.program(error) {
                    #expect(error.program == "dereference_scalar")
                    #expect(error.error.errno == EACCES)
                    #expect(error.log.contains("invalid mem access 'scalar'"))
                    #expect("\(error)".contains("verifier log:"))
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test("big-endian objects read and link, but do not load on this host")
        func foreignByteOrder() throws {
            #expect(throws: LoadError.self) { try loadTestData("minimal.bpfeb.o") }
        }
    }
}

extension KernelTests {
    @Suite("Public corpus loads (../shared/corpus, when present)", kernelTrait)
    struct CorpusLoadTests {
        @Test("every little-endian object loads or fails with a typed error; no descriptor leaks")
        func corpus() throws {
            let files = TestPaths.corpusFiles.filter {
                ($0.relative.hasSuffix(".o") || $0.relative.hasSuffix(".elf")) && !$0.relative.contains("-eb.")
                    && !$0.relative.contains("_bpfeb")
            }
            if let missing = Host.missing("../shared/corpus", present: !files.isEmpty) {
                Issue.record(Comment(rawValue: missing))
            }
            guard !files.isEmpty else { return }
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                var loaded = 0, reasons: [String: Int] = [:]
                for (_, path) in files {
                    do {
                        // Maps pinned by name go to a pin root of their own, removed after each object.
                        try withPinRoot { root in
                            let object = try ObjectSpec(contentsOfFile: path).load(pinningUnder(root))
                            loaded += 1
                            _ = object.programNames
                        }
                    } catch let error as LoadError {
                        reasons[Self.category(error), default: 0] += 1
                    } catch let error as ObjectError {
                        reasons["spec: " + Self.words("\(error)"), default: 0] += 1
                    }
                }
                print("corpus loads: \(loaded) of \(files.count) loaded")
                for (reason, count) in reasons.sorted(by: { $0.value > $1.value }) { print("  \(count)\t\(reason)") }
                #expect(loaded >= 100)
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test(
            "the running kernel's BTF is read at most once per load: CO-RE, ksyms, attach targets (kconfig values: none)",
            arguments: ["task_info.bpfel.o", "ksym.bpfel.o", "kconfig.bpfel.o", "core.bpfel.o"])
        func kernelBTFReadOnce(object: String) throws {
            // A vmlinux of its own, so that the count is this load's (no module files beside it).
            let directory = NSTemporaryDirectory() + "kernel-btf-\(getpid())-\(object)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try FileManager.default.copyItem(atPath: "/sys/kernel/btf/vmlinux", toPath: directory + "/vmlinux")
            var options = LoadOptions()
            options.kernelBTFPath = directory + "/vmlinux"
            _ = try KernelObjects.exclusively { try loadTestData(object, options).programNames }
            // kconfig.bpfel.o's values need no vmlinux: LINUX_HAS_BPF_COOKIE is probed, as libbpf probes it.
            let reads = KernelTargets.reads.withLock { $0[options.kernelBTFPath] }
            #expect(reads == (object == "kconfig.bpfel.o" ? nil : 1))
        }

        static func category(_ error: LoadError) -> String {
            switch error {
            case let .spec(e): "spec: " + words("\(e)")
            case .foreignByteOrder: "foreign byte order"
            case let .map(_, e): "map creation: \(e.errnoName)"
            case let .program(e): "program load: \(e.error.errnoName)"
            case .missingProgramType: "section names no program type"
            case .attachTarget: "attach target not in kernel BTF"
            case .slot: "initial slot"
            case .mapNotCreated: "map not created"
            case let .pin(_, _, reason): "pinning: " + words(reason.description)
            case .kernelBTF: "kernel BTF unreadable"
            case let .kernel(_, e): "kernel object: \(e.errnoName)"
            case .token: "BPF token"
            case .notDelegated: "not delegated by the BPF token"
            }
        }

        /// The reason part of a message, without names and numbers.
        static func words(_ text: String) -> String {
            String((text.split(separator: ":").last ?? "").prefix(50)).filter { !$0.isNumber }
        }
    }
}

extension KernelTests {
    @Suite("__kconfig externs on this kernel", kernelTrait)
    struct KconfigLoadTests {
        @Test("LINUX_KERNEL_VERSION is the running kernel's, CONFIG_BPF_SYSCALL is true, a missing weak option is 0")
        func values() throws {
            try KernelObjects.exclusively {
                let object = try loadTestData("kconfig.bpfel.o")
                let spec = object.spec
                let map = try object.map(named: "kconfig.kconfig").required(".kconfig map")
                let index = try spec.kconfigMapIndex.required("index")
                let bytes = try map.value([0, 0, 0, 0])
                func value(_ name: String) throws -> UInt64 {
                    let e = try spec.kconfigExterns.first { $0.name == name }.required(name)
                    return bytes[Int(e.offset)..<Int(e.offset + e.size)].reversed().reduce(0) { $0 << 8 | UInt64($1) }
                }
                var name = utsname()
                uname(&name)
                let release = withUnsafeBytes(of: name.release) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                #expect(
                    try value("LINUX_KERNEL_VERSION")
                        == UInt64(try kernelVersionCode(release: release).required("version")))
                #expect(try value("CONFIG_BPF_SYSCALL") == 1)
                #expect(try value("CONFIG_SWIFTBPF_NO_SUCH_OPTION") == 0)
                #expect(try value("LINUX_HAS_BPF_COOKIE") == 1)
                // The map is frozen and read-only to programs.
                #expect(throws: SyscallError.self) { try map.update([0, 0, 0, 0], bytes) }
                #expect(object.hasBTF == true)
            }
        }
    }
}

extension KernelTests {
    @Suite("__ksym externs on this kernel", kernelTrait)
    struct KsymLoadTests {
        @Test("a kfunc pair (bpf_task_acquire/bpf_task_release) in a tp_btf program loads, with its BTF")
        func kfuncs() throws {
            try KernelObjects.exclusively {
                let warnings = WarningLog()
                var options = LoadOptions()
                options.diagnostics = { warnings.append($0) }
                let object = try loadTestData("ksym.bpfel.o", options)
                #expect(object.programNames == ["acquire_release"])
                #expect(object.hasBTF == true, "\(warnings.all)")
            }
        }

        @Test(
            "kernel variables need CONFIG_KALLSYMS_ALL: without it the load fails with a typed error naming the symbol")
        func variables() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                var refused = true
                do {
                    _ = try loadTestData("ksym_variables.bpfel.o")
                    // A kernel with CONFIG_KALLSYMS_ALL resolves them: then the load succeeds, which is right too.
                    refused = false
                } catch let LoadError.program(error) {
                    #expect(error.log.contains("bpf_prog_active") || error.log.contains("bpf_init"), "\(error)")
                } catch let LoadError.spec(error) {
                    #expect("\(error)".contains("bpf_init") || "\(error)".contains("bpf_prog_active"), "\(error)")
                }
                if let unexpected = Host.unexpectedOutcome("kallsyms_all", refused: refused) {
                    Issue.record(Comment(rawValue: unexpected))
                }
                #expect(KernelObjects.openCount() == before)
            }
        }
    }
}

@Suite("Lookups by name in a loaded object")
struct FirstIndexByNameTests {
    @Test(
        "the table finds the first index of each name, as a search in place does, for lists of every size around its threshold"
    )
    func firstOfEachName() {
        for count in [0, 1, 16, 17, 40, 300] {
            let names = (0..<count).map { "name\($0 % max(1, count / 3))" }
            let table = FirstIndexByName.forList(of: count)
            #expect((table != nil) == (count > 16))
            for probe in names + ["absent", ""] {
                let found = FirstIndexByName.index(of: probe, in: table, count) { names[$0] }
                #expect(found == names.firstIndex(of: probe), "\(probe) among \(count)")
            }
        }
    }

    @Test("a table forgotten when its list grows is made again with the new names")
    func forgetting() {
        var names = (0..<20).map { "p\($0)" }
        let table = FirstIndexByName.forList(of: 40)
        #expect(FirstIndexByName.index(of: "p19", in: table, names.count) { names[$0] } == 19)
        names.append("late")
        // Stale until forgotten (LoadedObject.append forgets on every program it adds).
        #expect(FirstIndexByName.index(of: "late", in: table, names.count) { names[$0] } == nil)
        table?.forget()
        #expect(FirstIndexByName.index(of: "late", in: table, names.count) { names[$0] } == 20)
    }

    @Test("canonically equivalent names are one name, in the table as in the search in place (the first wins)")
    func canonicalEquivalence() {
        for count in [10, 20] {
            var names = (0..<count).map { "n\($0)" }
            names[1] = "cafe\u{301}"
            names[2] = "caf\u{e9}"
            names[3] = "K"
            let table = FirstIndexByName.forList(of: count)
            for probe in ["cafe\u{301}", "caf\u{e9}"] {
                #expect(FirstIndexByName.index(of: probe, in: table, count) { names[$0] } == 1, "\(count)")
            }
            #expect(FirstIndexByName.index(of: "\u{212A}", in: table, count) { names[$0] } == 3)  // KELVIN SIGN is K
        }
    }
}
