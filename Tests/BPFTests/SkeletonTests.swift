import BPF
import Glibc
import BPFObject
import BTF
import ELF64
import Skeleton
import TestSupport
import Testing

/// The generated skeletons in Skeletons/ (committed, compiled here): regenerated equal, laid out
/// as their objects' BTF says, and used on the kernel through their typed API only.
@Suite("Generated skeletons")
struct SkeletonGenerationTests {
    @Test(
        "regenerating the committed skeletons gives the same files",
        arguments: [
            ("globals", "Globals"), ("skeleton", "Shapes"), ("tcp_cc", "TcpCc"), ("ringbuf", "Ring"),
            ("skeleton_names", "Names"), ("metadata", "Meta"), ("globals", "GlobalsFromPath"),
            ("kconfig", "Kconf"), ("maps", "MapKinds"),
        ])
    func golden(object: String, name: String) throws {
        let spec = try ObjectSpec(contentsOfFile: "\(TestPaths.testData)/obj/\(object).bpfel.o")
        var generator = try SkeletonGenerator(spec: spec, name: name, source: "\(object).bpfel.o")
        if name == "GlobalsFromPath" { generator.objectPath = "TestData/obj/globals.bpfel.o" }
        let generated = try generator.generate()
        let committed = try String(
            contentsOfFile: "\(TestPaths.root)/Tests/BPFTests/Skeletons/\(name).swift", encoding: .utf8)
        #expect(
            generated == committed,
            "regenerate with: swiftbpf gen skeleton TestData/obj/\(object).bpfel.o --name \(name)")
    }

    @Test("every generated type has its C size as size and stride, and its members their BTF offsets")
    func layout() throws {
        let btf = try #require(try ObjectSpec(contentsOfFile: "\(TestPaths.testData)/obj/skeleton.bpfel.o").btf)
        func size(_ name: String) throws -> Int { try btf.size(of: try #require(btf.firstTypeID(named: name))) }
        func offset(_ type: String, _ member: String) throws -> Int {
            let t = try btf.type(try #require(btf.firstTypeID(named: type, kind: .struct)))
            return Int(try #require(t.members.first { String($0.name) == member }).bitOffset / 8)
        }
        func layout<T>(_: T.Type) -> (Int, Int, Int) {
            (MemoryLayout<T>.size, MemoryLayout<T>.stride, MemoryLayout<T>.alignment)
        }
        let layouts: [(String, (Int, Int, Int))] = [
            ("point", layout(Shapes.Point.self)), ("flags", layout(Shapes.Flags.self)),
            ("value", layout(Shapes.Value.self)), ("settings", layout(Shapes.Settings.self)),
            ("result", layout(Shapes.Result.self)), ("mode", layout(Shapes.Mode.self)),
            ("delta", layout(Shapes.Delta.self)), ("big", layout(Shapes.Big.self)),
        ]
        for (name, (swiftSize, stride, alignment)) in layouts {
            let id = try #require(btf.firstTypeID(named: name))
            #expect(swiftSize == (try size(name)), "\(name)")
            #expect(stride == swiftSize, "\(name)")
            #expect(alignment == (try btf.alignment(of: id)), "\(name)")
        }
        // Each member written through its accessor lands at its BTF offset, and nowhere else.
        var settings = Shapes.Settings()
        settings.big = Shapes.Big(rawValue: 0x0102_0304_0506_0708)
        settings.direction = .down
        settings.weights[2] = 0xBEEF
        settings.origin.y = 0x1122_3344
        let bytes = withUnsafeBytes(of: settings.raw) { Array($0) }
        func word<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T {
            bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: T.self) }
        }
        #expect(word(try offset("settings", "big"), UInt64.self) == 0x0102_0304_0506_0708)
        #expect(word(try offset("settings", "direction"), Int32.self) == -1)
        #expect(word(try offset("settings", "weights") + 4, UInt16.self) == 0xBEEF)
        #expect(word(try offset("settings", "origin") + (try offset("point", "y")), Int32.self) == 0x1122_3344)
        #expect(bytes.filter { $0 != 0 }.count == 8 + 4 + 2 + 4)
        settings = Shapes.Settings()
        settings.mode = .sum
        settings.flags.code = 0xFFF
        settings.seed.p.x = 0x0A0B_0C0D
        let more = withUnsafeBytes(of: settings.raw) { Array($0) }
        let (modeAt, flagsAt, seedAt) = (
            try offset("settings", "mode"), try offset("settings", "flags"), try offset("settings", "seed")
        )
        #expect(more[modeAt] == 7)
        #expect(more[flagsAt + 1] == 0xFF && more[flagsAt] == 0xF0)
        #expect(more[seedAt] == 0x0D && more[seedAt + 3] == 0x0A)
        var result = Shapes.Result()
        result.calls = 1
        result.sum = -1
        result.last.raw_2 = 0xAA
        let r = withUnsafeBytes(of: result.raw) { Array($0) }
        let (calls, sum, last, seen) = (
            try offset("result", "calls"), try offset("result", "sum"), try offset("result", "last"),
            try offset("result", "seen")
        )
        #expect(r[calls] == 1 && r[sum + 7] == 0xFF)
        #expect(r[last] == 0xAA && r[seen] == 0)
        // Bitfields: each field keeps its neighbours; a signed one sign-extends.
        var flags = Shapes.Flags()
        flags.code = 0xABC
        flags.delta = -3
        flags.ready = 1
        flags.level = 5
        #expect((flags.code, flags.delta, flags.ready, flags.level) == (0xABC, -3, 1, 5))
        #expect(withUnsafeBytes(of: flags.raw) { $0.loadUnaligned(as: UInt32.self) } == 0xD_ABC_B)
    }

    @Test(
        "every committed skeleton opens: its variables, programs, maps and every C type's size and member offsets match the object's BTF"
    )
    func opens() throws {
        _ = try Globals.open()
        _ = try Shapes.open()
        _ = try TcpCc.open()
        _ = try Ring.open()
        _ = try Names.open()
        _ = try Meta.open()
        _ = try Kconf.open()
        _ = try MapKinds.open()
    }

    @Test("an object whose maps are the same but in another order, or whose data section moved or grew, is refused")
    func mapOrder() throws {
        let spec = try ObjectSpec(contentsOfFile: "\(TestPaths.testData)/obj/globals.bpfel.o")
        let layout = SkeletonLayout(
            types: [], sizes: [], swiftSizes: [], memberTypes: [], memberNames: [], memberBitOffsets: [])
        func check(maps: [String], sections: [Int], sizes: [Int]) throws {
            try SkeletonSupport.check(
                spec, sections: [], variables: [], offsets: [], sizes: [], programs: [], maps: maps,
                dataSections: sections, dataSectionNames: [".rodata", ".data"], dataSectionSizes: sizes,
                kconfigNames: [], kconfigOffsets: [], kconfigSizes: [], layout: layout)
        }
        let maps = spec.maps.map(\.name)
        try check(maps: maps, sections: [0, 1], sizes: [4, 8])
        #expect(throws: SkeletonError.self) { try check(maps: maps.reversed(), sections: [0, 1], sizes: [4, 8]) }
        #expect(throws: SkeletonError.self) { try check(maps: maps, sections: [1, 0], sizes: [4, 8]) }
        #expect(throws: SkeletonError.self) { try check(maps: maps, sections: [0, 1], sizes: [4, 16]) }
    }

    @Test("with --object-path the object is read at run time, and one that is not the generated one is refused")
    func objectPath() throws {
        let spec = try GlobalsFromPath.open(path: "\(TestPaths.testData)/obj/globals.bpfel.o")
        #expect(spec.rodata.step == 1)
        #expect {
            _ = try GlobalsFromPath.open(path: "\(TestPaths.testData)/obj/minimal.bpfel.o")
        } throws: { error in
            guard case let .layoutMismatch(what) = error as? SkeletonError else { return false }
            return what.contains("'step'")
        }
    }

    @Test(
        "names: C words become Swift camel case, enumerators lose their common prefix, keywords and collisions are avoided"
    )
    func names() throws {
        #expect(SkeletonGenerator.defaultName(forFile: "/x/count_getpid.bpf.o") == "CountGetpid")
        #expect(
            Shapes.Mode.sum.rawValue == 7 && Shapes.Delta.down.rawValue == -1 && Shapes.Big.huge.rawValue == 1 << 32)
        // C's `raw` member of union value meets CLayout's storage: it is renamed, not shadowed.
        var value = Shapes.Value()
        value.raw_2 = 0x0807_0605_0403_0201
        #expect(value.bytes[0] == 1 && value.p.y == 0x0807_0605)
        let spec = try ObjectSpec(contentsOfFile: "\(TestPaths.testData)/obj/globals.bpfel.o")
        #expect(throws: SkeletonGenerationError.invalidName("not a type")) {
            _ = try SkeletonGenerator(spec: spec, name: "not a type", source: "x")
        }
        let foreign = try ObjectSpec(contentsOfFile: "\(TestPaths.testData)/obj/globals.bpfeb.o")
        #expect(throws: SkeletonGenerationError.foreignByteOrder) {
            _ = try SkeletonGenerator(spec: foreign, name: "G", source: "x")
        }
    }
}

@Suite("Generated skeletons from hostile objects")
struct HostileSkeletonTests {
    /// `object` with every `old` (a NUL-terminated string of the same length as `new`) replaced.
    func replacing(_ old: String, with new: String, in object: String) throws -> [UInt8] {
        let storage = try ByteStorage(contentsOfFile: "\(TestPaths.testData)/obj/\(object)")
        var bytes = withExtendedLifetime(storage) { Array(storage.bytes) }
        let from = Array(old.utf8) + [0], to = Array(new.utf8) + [0]
        precondition(from.count == to.count)
        var i = 0, found = 0
        while i + from.count <= bytes.count {
            if bytes[i..<i + from.count].elementsEqual(from) {
                bytes.replaceSubrange(i..<i + from.count, with: to)
                found += 1
            }
            i += 1
        }
        #expect(found > 0)
        return bytes
    }

    @Test("a BTF name with a newline stays inside its comment: an object's names never write code")
    func commentInjection() throws {
        let bytes = try replacing("settings", with: "x\nboom()", in: "skeleton.bpfel.o")
        let spec = try ObjectSpec(bytes: bytes, name: "hostile")
        let text = try SkeletonGenerator(spec: spec, name: "Hostile", source: "hostile.o").generate()
        let lines = text.split(separator: "\n").map { $0.drop { $0 == " " } }
        #expect(!lines.contains { $0.hasPrefix("boom") })
        #expect(text.contains("struct x?boom()`"))
    }

    @Test("two programs of one name are refused: the skeleton could not tell them apart")
    func duplicatePrograms() throws {
        let two = try replacing("count_syscalls", with: "count_getpid\0\0", in: "counter.bpfel.o")
        let spec = try ObjectSpec(bytes: two, name: "twice")
        #expect(throws: SkeletonGenerationError.duplicateProgram("count_getpid")) {
            _ = try SkeletonGenerator(spec: spec, name: "Twice", source: "twice.o").generate()
        }
    }

    @Test(
        "a skeleton may not take a name the generated code uses",
        arguments: ["Maps", "Programs", "Spec", "Swift", "BPF", "Copyable"])
    func reservedNames(name: String) throws {
        let spec = try ObjectSpec(contentsOfFile: "\(TestPaths.testData)/obj/globals.bpfel.o")
        #expect(throws: SkeletonGenerationError.invalidName(name)) {
            _ = try SkeletonGenerator(spec: spec, name: name, source: "x")
        }
    }
}

extension KernelTests {
    @Suite("Skeletons on the kernel", kernelTrait)
    struct SkeletonKernelTests {
        @Test("Globals: rodata set on the spec, the program run, bss and data read live; dropping it closes everything")
        func globals() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    let spec = try Globals.open()
                    #expect(spec.rodata.step == 1 && spec.data.total == 5)
                    spec.rodata.step = 3
                    let skel = try spec.load()
                    #expect(skel.rodata.step == 3)
                    for _ in 0..<2 { _ = try skel.programs.advance.testRun() }
                    #expect(skel.bss.runs == 2)
                    #expect(skel.data.total == 11)
                    #expect(skel.dataNames.label[0] == Int8(UInt8(ascii: "C")))
                    skel.data.total = 100
                    _ = try skel.programs.advance.testRun()
                    #expect(skel.data.total == 103 && skel.bss.runs == 3)
                    #expect(KernelObjects.openCount() > before)
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test("Ring: the ring buffer map's reader from the skeleton sees what the program emits")
        func ringReader() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    let skel = try Ring.open().load()
                    let reader = try skel.maps.eventsReader()
                    _ = try skel.programs.emit.testRun(context: [10, 0, 0, 0])
                    var sizes: [Int] = []
                    try reader.poll(timeout: 1000) { _, record in sizes.append(record.count) }
                    #expect(sizes.count == 7)
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test("TcpCc: struct_ops maps register through the skeleton; attach() leaves them (they register, not attach)")
        func structOpsRegistration() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    var skel = try TcpCc.open().load()
                    try skel.attach()
                    #expect(!availableCongestionControls().contains("swiftbpf_cc"))
                    do {
                        let link = try skel.registerSwiftCc()
                        #expect(availableCongestionControls().contains("swiftbpf_cc"))
                        #expect(try connectOverLoopback(congestionControl: "swiftbpf_cc"))
                        #expect(skel.bss.initCalls >= 1, "the kernel called the program of .init")
                        link.detach()
                    }
                    #expect(!availableCongestionControls().contains("swiftbpf_cc"))
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test(
            "Names: two data sections whose map names are equal stay two maps and two views; colliding C names compile")
        func sameNamedMaps() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    let skel = try Names.open().load()
                    _ = try skel.programs.object.testRun()
                    #expect(skel.dataCountersAlpha.alphaCount == 11 && skel.dataCountersBeta.betaCount == 22)
                    #expect(try skel.maps.dataCountersAlpha.info().id != (try skel.maps.dataCountersBeta.info().id))
                    #expect(skel.data.five == ._6 && skel.rodata.cfg.f == 1)
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test("Kconf: the __kconfig externs read back typed as the load set them from this kernel's configuration")
        func kconfig() throws {
            try KernelObjects.exclusively {
                let skel = try Kconf.open().load()
                var name = utsname()
                uname(&name)
                let release = withUnsafeBytes(of: name.release) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                let major = UInt32(release.split(separator: ".")[0]) ?? 0
                #expect(skel.kconfig.linuxKernelVersion >> 16 == major)
                #expect(skel.kconfig.configBpfSyscall == 1 && skel.kconfig.configSwiftbpfNoSuchOption == 0)
                #expect(skel.kconfig.configHz > 0 && skel.kconfig.configBpfJit == .yes)
            }
        }

        @Test("SEC(\"?socket\"): the load leaves the program out unless its autoload is turned on")
        func optionalProgram() throws {
            try KernelObjects.exclusively {
                var spec = try ObjectSpec(contentsOfFile: "\(TestPaths.testData)/obj/optional.bpfel.o")
                do {
                    let object = try spec.load()
                    #expect(object.program(named: "maybe") == nil && object.program(named: "always") != nil)
                }
                try spec.setAutoLoad(true, program: "maybe")
                let object = try spec.load()
                #expect(object.program(named: "maybe") != nil)
            }
        }

        @Test("Meta: bpf_metadata_* variables read back typed, text as String")
        func metadata() throws {
            try KernelObjects.exclusively {
                let skel = try Meta.open().load()
                #expect(skel.metadata.owner == "team-observability")
                #expect(skel.metadata.build == 20_261_129 && skel.metadata.debug == 1)
            }
        }

        @Test("Shapes: nested structs, unions, arrays, enums and bitfields through the generated types, both ways")
        func shapes() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    let spec = try Shapes.open()
                    #expect(spec.rodata.config.mode == .count && spec.rodata.config.origin.y == 2)
                    #expect(spec.rodata.config.weights[2] == 3 && spec.rodataLimits.limits[1] == 20)
                    var config = spec.rodata.config
                    config.mode = .sum
                    config.origin.x = 40
                    config.flags.level = 6
                    config.flags.delta = -2
                    spec.rodata.config = config
                    spec.dataPath.path[0].y = 9
                    let skel = try spec.load()
                    _ = try skel.programs.update.testRun()
                    let result = skel.bss.result
                    #expect(result.calls == 1 && result.sum == 40 + 2 + 20)
                    #expect(
                        result.seen.level == 7 && result.seen.delta == -2,
                        "seen \(withUnsafeBytes(of: result.seen.raw) { Array($0) }) config \(withUnsafeBytes(of: skel.rodata.config.flags.raw) { Array($0) })"
                    )
                    #expect(result.last.p.x == 1 && result.last.p.y == 9)
                    #expect(skel.dataPath.path[1].x == 1)
                    #expect(
                        try skel.maps.points.info().type == .hash && (try skel.maps.events.info().type) == .ringBuffer)
                }
                #expect(KernelObjects.openCount() == before)
            }
        }
    }
}
