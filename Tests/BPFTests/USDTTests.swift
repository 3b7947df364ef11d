import BPF
import BPFObject
import ELF64
import Foundation
import Glibc
import TestSupport
import Testing

/// The USDT test binary (TestData/usdt) and what its probes are.
enum USDTTarget {
    static let path = TestPaths.testData + "/usdt/usdt_target"
    /// Each probe and the program of usdt.bpf.c that counts it.
    static let probes = [
        ("args", "on_args"), ("stack", "on_stack"), ("constant", "on_constant"), ("plain", "on_plain"),
        ("twice", "on_twice"), ("guarded", "on_guarded"),
    ]

    /// Runs the binary for `rounds` rounds.
    static func run(rounds: Int) throws {
        let result = try Host.capture(path, ["\(rounds)"])
        #expect(result.status == 0, "usdt_target: \(result.err)")
    }

    /// The globals usdt.bpf.c records, by name, as text (each read as its C type).
    static func recorded(_ object: borrowing LoadedObject) throws -> [String: Int64] {
        let globals = try GlobalData(object)
        var values: [String: Int64] = [:]
        for name in [
            "args_calls", "stack_calls", "constant_calls", "plain_calls", "twice_calls", "guarded_calls", "last_big",
            "args_cookie", "stack_local", "twice_sum", "guarded_value",
        ] {
            values[name] = try globals.value(of: name, as: Int64.self)
        }
        for name in ["last_i", "args_count", "stack_i", "constant_first", "constant_second"] {
            values[name] = Int64(try globals.value(of: name, as: Int32.self))
        }
        values["last_small"] = Int64(try globals.value(of: "last_small", as: Int16.self))
        values["last_byte"] = Int64(try globals.value(of: "last_byte", as: UInt8.self))
        return values
    }

    /// What three rounds record (see usdt_target.c): the last round's arguments, five `twice` hits
    /// (one site every round, the other on even rounds), the guarded probe's computed value.
    static let expectedAfterThreeRounds: [String: Int64] = [
        "args_calls": 3, "stack_calls": 3, "constant_calls": 3, "plain_calls": 3, "twice_calls": 5, "guarded_calls": 3,
        "last_i": 2, "last_big": -3_000_000_000_000, "last_small": -3, "last_byte": 202, "args_count": 4,
        "args_cookie": 0xc00c1e, "stack_i": 2, "stack_local": 5_000_000_003, "constant_first": 42,
        "constant_second": 2, "twice_sum": 7, "guarded_value": 2007,
    ]
}

/// `.note.stapsdt` as `readelf -n` shows it, and argument specs as libbpf parses them.
@Suite("USDT notes and argument specs")
struct USDTNoteTests {
    @Test("the test binary's notes: every field as readelf -n prints it (the committed listing)")
    func notesMatchReadelf() throws {
        let file = try ELFFile(ByteStorage(contentsOfFile: USDTTarget.path))
        let notes = try file.sdtNotes()
        let listing = try String(contentsOfFile: TestPaths.testData + "/usdt/usdt_target.notes.txt", encoding: .utf8)
        let stapsdt = listing.components(separatedBy: "Displaying notes found in: .note.stapsdt").last ?? ""
        var expected: [String] = []
        var current: [String: String] = [:]
        for line in stapsdt.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("Provider: ") { current = ["provider": String(line.dropFirst(10))] }
            if line.hasPrefix("Name: ") { current["name"] = String(line.dropFirst(6)) }
            if line.hasPrefix("Location: ") { current["location"] = line }
            if line.hasPrefix("Arguments:") {
                let arguments = line.dropFirst(10).trimmingCharacters(in: .whitespaces)
                expected.append(
                    "\(current["provider"]!) \(current["name"]!) \(current["location"]!) [\(arguments)]")
            }
        }
        func hex(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return "0x" + String(repeating: "0", count: 16 - digits.count) + digits
        }
        let ours = notes.map {
            "\($0.provider) \($0.name) Location: \(hex($0.address)), Base: \(hex($0.base)), Semaphore: \(hex($0.semaphore)) [\($0.arguments)]"
        }
        #expect(ours == expected)
        #expect(notes.count == 7)
    }

    @Test("a real library's notes (libc, libstdc++ where present) read as readelf -n shows them")
    func systemLibraries() throws {
        let readelf = try #require(Host.find("readelf") ?? Host.find("llvm-readelf"))
        var compared = 0
        for path in ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"] {
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let notes = try ELFFile(ByteStorage(contentsOfFile: path)).sdtNotes()
            let listing = try Host.capture(readelf, ["-n", path]).out
            let providers = listing.split(separator: "\n").filter { $0.contains("Provider: ") }.count
            let names = listing.split(separator: "\n").compactMap { line -> String? in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                return trimmed.hasPrefix("Name: ") ? String(trimmed.dropFirst(6)) : nil
            }
            #expect(notes.count == providers, "\(path)")
            #expect(notes.map(\.name) == names, "\(path)")
            // libbpf parses every x86-64 argument of these (or refuses the same ones).
            for note in notes { _ = try? USDTSpec(parsing: note.arguments, machine: .x86_64) }
            compared += notes.count
        }
        print("system libraries: \(compared) USDT notes compared with readelf")
    }

    @Test("x86-64 argument forms: registers of every width, memory with and without displacement, constants")
    func x86Arguments() throws {
        let spec = try USDTSpec(
            parsing: "-4@%edi -8@%rsi -2@%dx 1@%cl 8@-24(%rbp) 4@(%rsp) -4@$42 8@%r13", machine: .x86_64)
        #expect(
            spec.arguments == [
                USDTArgument(location: .register(offset: 112), size: 4, isSigned: true),
                USDTArgument(location: .register(offset: 104), size: 8, isSigned: true),
                USDTArgument(location: .register(offset: 96), size: 2, isSigned: true),
                USDTArgument(location: .register(offset: 88), size: 1, isSigned: false),
                USDTArgument(location: .memory(register: 32, displacement: -24), size: 8, isSigned: false),
                USDTArgument(location: .memory(register: 152, displacement: 0), size: 4, isSigned: false),
                USDTArgument(location: .constant(42), size: 4, isSigned: true),
                USDTArgument(location: .register(offset: 16), size: 8, isSigned: false),
            ])
        #expect(try USDTSpec(parsing: "", machine: .x86_64).arguments.isEmpty)
        // Scaled-index forms (libbpf 1.7): offset and scale optional.
        let sib = try USDTSpec(
            parsing: "1@-96(%rbp,%rax,8) -2@(%rbx,%rcx,2) 4@16(%rsi,%rdi) 8@(%r8,%r9)", machine: .x86_64)
        #expect(
            sib.arguments.map(\.location) == [
                .scaledIndex(base: 32, index: 80, scale: 8, displacement: -96),
                .scaledIndex(base: 40, index: 88, scale: 2, displacement: 0),
                .scaledIndex(base: 104, index: 112, scale: 1, displacement: 16),
                .scaledIndex(base: 72, index: 64, scale: 1, displacement: 0),
            ])
        let bytes = sib.encoded(cookie: 0, order: .little)
        // type 3, index rax (80) in bits 8-19, log2(8) in bits 20-23; base rbp (32) in reg_off.
        #expect(Array(bytes[8..<12]) == [3, 80, 0x30, 0] && bytes[12] == 32)
        let big = sib.encoded(cookie: 0, order: .big)
        #expect(Array(big[8..<12]) == [0, 0x05, 0x03, 3], "big endian: index in bits 12-23, scale in 8-11")
        #expect(try USDTSpec(parsing: "  -4@%eax   ", machine: .x86_64).arguments.count == 1)
    }

    @Test("arm64 argument forms")
    func arm64Arguments() throws {
        let spec = try USDTSpec(parsing: "-4@[sp, 96] 8@[x1] 4@5 -8@x4", machine: .aarch64)
        #expect(
            spec.arguments == [
                USDTArgument(location: .memory(register: 248, displacement: 96), size: 4, isSigned: true),
                USDTArgument(location: .memory(register: 8, displacement: 0), size: 8, isSigned: false),
                USDTArgument(location: .constant(5), size: 4, isSigned: false),
                USDTArgument(location: .register(offset: 32), size: 8, isSigned: true),
            ])
    }

    @Test("a bare name resolves through the process's mappings, else the library directories or PATH")
    func binaryResolution() throws {
        // This test process maps libc.so.6: found through /proc/PID/root, as a container's would be.
        let mapped = USDTSite.resolve(binary: "libc.so.6", pid: getpid())
        #expect(mapped.hasPrefix("/proc/\(getpid())/root/") && mapped.hasSuffix("/libc.so.6"), "\(mapped)")
        #expect(FileManager.default.fileExists(atPath: mapped))
        let library = USDTSite.resolve(binary: "libc.so.6")
        #expect(library.hasPrefix("/") && FileManager.default.fileExists(atPath: library), "\(library)")
        #expect(USDTSite.resolve(binary: "sh").hasSuffix("/sh"))
        #expect(USDTSite.resolve(binary: "no-such-binary-anywhere") == "no-such-binary-anywhere")
        #expect(USDTSite.resolve(binary: "./relative/path") == "./relative/path")
    }

    @Test("segments by address: libbpf's first-by-start match, in log time (many notes × many segments)")
    func segmentIndex() {
        var random = SystemRandomNumberGenerator()
        let segments = (0..<200).map { _ in
            Segment(
                type: 1, flags: UInt32.random(in: 0...7, using: &random),
                offset: UInt64.random(in: 0...1 << 20, using: &random),
                virtualAddress: UInt64.random(in: 0...1 << 16, using: &random),
                fileSize: 0, memorySize: UInt64.random(in: 0...1 << 12, using: &random))
        }
        let index = SegmentIndex(segments)
        let sorted = segments.sorted { $0.virtualAddress < $1.virtualAddress }
        for _ in 0..<2000 {
            let address = UInt64.random(in: 0...(1 << 16) + (1 << 12), using: &random)
            let linear = sorted.first { $0.contains(address: address) }
            #expect(index.segment(containing: address)?.virtualAddress == linear?.virtualAddress)
        }
        let wrapping = Segment(type: 1, flags: 5, offset: 0, virtualAddress: .max - 10, fileSize: 0, memorySize: 100)
        #expect(SegmentIndex([wrapping]).segment(containing: .max) != nil)
        #expect(SegmentIndex([]).segment(containing: 5) == nil)
        let ratio = Scaling.ratio(
            2000,
            make: { count in
                SegmentIndex(
                    (0..<count).map {
                        Segment(
                            type: 1, flags: 5, offset: 0, virtualAddress: UInt64($0) * 4096, fileSize: 0,
                            memorySize: 4096)
                    })
            }
        ) { index in
            for address in stride(from: UInt64(0), to: 2000 * 4096, by: 4096) { _ = index.segment(containing: address) }
        }
        #expect(ratio < 16, "8× the segments: \(ratio)× the time for as many lookups")
    }

    @Test("the extremes of a 64-bit argument (libbpf's %ld): Int64.min constants and displacements read")
    func extremeNumbers() throws {
        let spec = try USDTSpec(
            parsing: "8@$-9223372036854775808 8@-9223372036854775808(%rbp) 8@$9223372036854775807", machine: .x86_64)
        #expect(
            spec.arguments.map(\.location) == [
                .constant(.min), .memory(register: 32, displacement: .min), .constant(.max),
            ])
        #expect(throws: USDTSpecProblem.unsupportedSize(Int(Int64.min))) {
            try USDTSpec(parsing: "-9223372036854775808@%eax", machine: .x86_64)
        }
    }

    @Test("s390x argument forms")
    func s390Arguments() throws {
        let spec = try USDTSpec(parsing: "-4@160(%r15) 8@%r2 4@5", machine: USDTSpec.s390)
        #expect(
            spec.arguments == [
                USDTArgument(location: .memory(register: 16 + 15 * 8, displacement: 160), size: 4, isSigned: true),
                USDTArgument(location: .register(offset: 16 + 2 * 8), size: 8, isSigned: false),
                USDTArgument(location: .constant(5), size: 4, isSigned: false),
            ])
        #expect(throws: USDTSpecProblem.unrecognized(argument: 0, text: "8@%r16")) {
            try USDTSpec(parsing: "8@%r16", machine: USDTSpec.s390)
        }
        #expect(throws: USDTSpecProblem.unsupportedMachine(.bpf)) { try USDTSpec(parsing: "8@%r1", machine: .bpf) }
    }

    @Test(
        "unreadable argument strings are typed errors, never traps",
        arguments: [
            ("3@%eax", USDTSpecProblem.unsupportedSize(3)),
            ("-4@%xyz", .unknownRegister("xyz")),
            ("8@sym(%rip)", .unrecognized(argument: 0, text: "8@sym(%rip)")),
            ("-4@%eax junk", .unrecognized(argument: 1, text: "junk")),
            ("99999999999999999999@%eax", .unrecognized(argument: 0, text: "99999999999999999999@%eax")),
            (String(repeating: "4@$1 ", count: 13), .tooManyArguments),
            ("1@-96(%rbp,%rax,3)", .unsupportedScale(3)),
            ("1@(%rbp,%zz)", .unknownRegister("zz")),
        ])
    func malformed(_ text: String, _ problem: USDTSpecProblem) {
        #expect(throws: problem) { try USDTSpec(parsing: text, machine: .x86_64) }
    }

    @Test("section names: usdt/BINARY:PROVIDER:NAME (paths may hold ':'), uprobe.multi/BINARY:GLOB")
    func sections() throws {
        #expect(
            ProgramKind(section: "usdt//usr/lib/libc.so.6:libc:setjmp")?.autoAttach
                == .usdt(binary: "/usr/lib/libc.so.6", provider: "libc", name: "setjmp"))
        #expect(
            ProgramKind(section: "usdt/./a:b/c:prov:probe")?.autoAttach
                == .usdt(binary: "./a:b/c", provider: "prov", name: "probe"))
        #expect(ProgramKind(section: "usdt/binary:probe")?.autoAttach == .needsTarget(.usdtProbe))
        #expect(ProgramKind(section: "usdt")?.autoAttach == .needsTarget(.usdtProbe))
        #expect(
            ProgramKind(section: "uprobe.multi//bin/x:f*")?.autoAttach
                == .uprobeMulti(binary: "/bin/x", pattern: "f*", returnProbe: false))
        #expect(
            ProgramKind(section: "uretprobe.multi//bin/x:g")?.autoAttach
                == .uprobeMulti(binary: "/bin/x", pattern: "g", returnProbe: true))
        #expect(
            ProgramKind(section: "uprobe//bin/x:f")?.autoAttach
                == .uprobe(binary: "/bin/x", function: "f", returnProbe: false))
    }

    @Test("the spec's bytes are libbpf's struct __bpf_usdt_spec (208 bytes; cookie at 192, count at 200)")
    func encoding() throws {
        let bytes = try USDTSpec(parsing: "-4@%edi 8@-24(%rbp) 2@$7", machine: .x86_64).encoded(
            cookie: 0x1122_3344, order: .little)
        #expect(bytes.count == 208)
        func u64(_ at: Int) -> UInt64 { bytes[at..<at + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        #expect(Array(bytes[8..<16]) == [1, 0, 0, 0, 112, 0, 1, 32])  // REG, rdi, signed, shift 32
        #expect(u64(16) == UInt64(bitPattern: -24))
        #expect(Array(bytes[24..<32]) == [2, 0, 0, 0, 32, 0, 0, 0])  // REG_DEREF, rbp, unsigned, shift 0
        #expect(u64(32) == 7)
        #expect(Array(bytes[40..<48]) == [0, 0, 0, 0, 0, 0, 0, 48])  // CONST, unsigned, shift 48
        #expect(u64(192) == 0x1122_3344)
        #expect(bytes[200] == 3 && bytes[201] == 0)
    }
}

extension KernelTests {
    @Suite("USDT probes on the kernel", kernelTrait, .serialized)
    struct USDTKernelTests {
        @Test(
            "a libbpf USDT object reads every probe's arguments; the semaphore gates; detaching stops counting (one uprobe.multi link per probe, or one uprobe per site)",
            arguments: [true, false])
        func countsAndArguments(multi: Bool) throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    var options = LoadOptions()
                    options.usdtThroughUprobeMulti = multi
                    let object = try loadTestData("usdt.bpfel.o", options)
                    var links: [USDTLink] = []
                    for (probe, programName) in USDTTarget.probes {
                        let program = try object.program(named: programName).required(programName)
                        links.append(
                            try Attach.usdt(
                                program, of: object, binary: USDTTarget.path, provider: "swiftbpf", name: probe,
                                cookie: probe == "args" ? 0xc00c1e : 0))
                    }
                    #expect(links.map(\.siteCount) == [1, 1, 1, 1, 2, 1])
                    #expect(links.map(\.linkCount) == (multi ? [1, 1, 1, 1, 1, 1] : [1, 1, 1, 1, 2, 1]))
                    let expected: AttachType? = multi ? .traceUprobeMulti : nil
                    #expect(object.programs.allSatisfy { $0.expectedAttachType == expected })
                    try USDTTarget.run(rounds: 3)
                    #expect(try USDTTarget.recorded(object) == USDTTarget.expectedAfterThreeRounds)
                    links.removeAll()
                    try USDTTarget.run(rounds: 3)
                    #expect(try USDTTarget.recorded(object)["plain_calls"] == 3, "detached: no more counting")
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test("the same globals as libbpf's own USDT attach records (Tests/Reference/usdt-attach.c)")
        func likeLibbpf() throws {
            let cc = try #require(Host.find("cc"), "cc builds libbpf's side")
            let tool = NSTemporaryDirectory() + "swiftbpf-usdt-attach-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: tool) }
            let build = try Host.capture(
                cc, ["-O2", "-o", tool, TestPaths.root + "/Tests/Reference/usdt-attach.c", "-lbpf"])
            try #require(build.status == 0, "the reference builds: \(build.err)")
            let theirs = try Host.capture(tool, [TestPaths.testData + "/obj/usdt.bpfel.o", USDTTarget.path, "3"])
            try #require(theirs.status == 0, "libbpf attaches: \(theirs.err)")
            try KernelObjects.exclusively {
                let object = try loadTestData("usdt.bpfel.o")
                var links: [USDTLink] = []
                for (probe, programName) in USDTTarget.probes {
                    links.append(
                        try Attach.usdt(
                            try object.program(named: programName).required(programName), of: object,
                            binary: USDTTarget.path, provider: "swiftbpf", name: probe,
                            cookie: probe == "args" ? 0xc00c1e : 0))
                }
                try USDTTarget.run(rounds: 3)
                let globals = try GlobalData(object)
                var ours: [String] = []
                for line in theirs.out.split(separator: "\n") {
                    let name = String(line.split(separator: "=")[0])
                    ours.append(name + "=" + (try globals.bytes(of: name)).map { String(format: "%02x", $0) }.joined())
                }
                #expect(ours == theirs.out.split(separator: "\n").map(String.init))
                #expect(ours.count == 19)
                _ = links
            }
        }

        @Test("uprobe.multi: one link counts calls of several functions, each under its cookie; detaching stops it")
        func uprobeMulti() throws {
            #expect(Features.uprobeMultiLinks, "Linux 6.6+ has uprobe.multi links")
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    let object = try loadTestData("uprobe_multi.bpfel.o")
                    let program = try object.program(named: "count_calls").required("count_calls")
                    #expect(program.expectedAttachType == .traceUprobeMulti)
                    let link = try Attach.uprobeMulti(
                        program: program.descriptor, binary: USDTTarget.path,
                        symbols: ["in_registers", "on_stack", "main"], cookies: [1, 2, 3])
                    try USDTTarget.run(rounds: 4)
                    let globals = try GlobalData(object)
                    func counts() throws -> [UInt64] {
                        try globals.bytes(of: "calls").withUnsafeBytes { Array($0.bindMemory(to: UInt64.self)) }
                    }
                    #expect(try counts() == [0, 4, 4, 1, 0, 0, 0, 0])
                    link.detach()
                    try USDTTarget.run(rounds: 4)
                    #expect(try counts() == [0, 4, 4, 1, 0, 0, 0, 0], "detached: no more counting")
                    // Unequal arrays are refused before the kernel reads them.
                    #expect(throws: AttachError.self) {
                        _ = try Attach.uprobeMulti(
                            program: program.descriptor, binary: USDTTarget.path, offsets: [0x1250, 0x1210],
                            cookies: [1])
                    }
                    #expect(throws: AttachError.self) {
                        _ = try Attach.uprobeMulti(
                            program: program.descriptor, binary: USDTTarget.path, symbols: ["nope"])
                    }
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test("attached by section: usdt/BINARY:PROVIDER:NAME with its object, uprobe.multi/BINARY:GLOB")
        func bySection() throws {
            let link = "/tmp/swiftbpf-usdt-target"
            unlink(link)
            #expect(symlink(USDTTarget.path, link) == 0)
            defer { unlink(link) }
            try KernelObjects.exclusively {
                let usdt = try loadTestData("usdt.bpfel.o")
                let program = try usdt.program(named: "auto_plain").required("auto_plain")
                let attached = try Attach.auto(program, of: usdt)
                let multi = try loadTestData("uprobe_multi.bpfel.o")
                let counter = try multi.program(named: "count_auto").required("count_auto")
                let kind = try (multi.spec.program(named: "count_auto")?.kind).required("kind")
                let multiLink = try Attach.auto(program: counter.descriptor, kind: kind)
                try USDTTarget.run(rounds: 3)
                #expect(try GlobalData(usdt).value(of: "auto_plain_calls", as: UInt64.self) == 3)
                #expect(
                    try GlobalData(multi).value(of: "auto_calls", as: UInt64.self) == 6, "in_registers and on_stack")
                // Without its object, a USDT program cannot attach by section.
                let usdtKind = try (usdt.spec.program(named: "auto_plain")?.kind).required("kind")
                #expect(throws: AttachError.self) { _ = try Attach.auto(program: program.descriptor, kind: usdtKind) }
                _ = attached
                multiLink.detach()
            }
        }

        @Test("swiftbpf prog attach … usdt BINARY:PROVIDER:NAME pins one uprobe.multi link for both sites")
        func commandLine() throws {
            try withPinRoot { root in
                let load = try Host.capture(
                    Host.swiftbpf, ["prog", "load", TestPaths.testData + "/obj/usdt.bpfel.o", "--pin-dir", root])
                try #require(load.status == 0, "\(load.err)")
                let attach = try Host.capture(
                    Host.swiftbpf,
                    [
                        "prog", "attach", "--pinned", root + "/on_twice", "usdt",
                        USDTTarget.path + ":swiftbpf:twice", "--pin", root + "/twice_link",
                    ])
                #expect(attach.status == 0, "\(attach.err)")
                #expect(attach.out.contains("uprobe_multi") && attach.out.contains("2 sites"))
                try USDTTarget.run(rounds: 3)
                let program = try Program(pinnedAt: root + "/on_twice")
                let bss = try program.info().mapIDs.map { try Map(id: $0) }.first { $0.name.hasSuffix(".bss") }
                let dump = try Host.capture(Host.swiftbpf, ["map", "dump", "\(try #require(bss).info().id)"])
                #expect(dump.out.contains("\"twice_calls\": 5") && dump.out.contains("\"twice_sum\": 7"), "\(dump.out)")
                let refused = try Host.capture(
                    Host.swiftbpf,
                    ["prog", "attach", "--pinned", root + "/on_twice", "usdt", "nocolons", "--pin", root + "/x"])
                #expect(refused.status == 2)
            }
        }

        @Test(
            "prog attach usdt on a program libbpf loaded (one uprobe per site): pins PIN and PIN_1, which bpffs takes")
        func commandLinePerSite() throws {
            let bpftool = try #require(Host.find("bpftool"), "bpftool loads the program the libbpf way")
            try withPinRoot { root in
                let load = try Host.capture(
                    bpftool, ["prog", "loadall", TestPaths.testData + "/obj/usdt.bpfel.o", root + "/progs"])
                try #require(load.status == 0, "\(load.err)")
                defer {
                    for name in entries(root + "/progs") { unlink(root + "/progs/" + name) }
                    rmdir(root + "/progs")
                }
                let attach = try Host.capture(
                    Host.swiftbpf,
                    [
                        "prog", "attach", "--pinned", root + "/progs/on_twice", "usdt",
                        USDTTarget.path + ":swiftbpf:twice", "--pin", root + "/twice",
                    ])
                #expect(attach.status == 0, "\(attach.err)")
                #expect(entries(root).filter { $0.hasPrefix("twice") } == ["twice", "twice_1"])
                #expect(attach.out.contains("2 sites"))
            }
        }

        @Test("refusals: no such probe, an object without usdt.bpf.h, a binary that is not ELF")
        func refusals() throws {
            try KernelObjects.exclusively {
                let object = try loadTestData("usdt.bpfel.o")
                let program = try object.program(named: "on_plain").required("on_plain")
                func problem(_ body: () throws(AttachError) -> USDTLink) -> AttachError.TargetProblem? {
                    do {
                        _ = try body()
                        return nil
                    } catch {
                        if case let .target(problem) = error { return problem }
                        return nil
                    }
                }
                #expect(
                    problem { () throws(AttachError) in
                        try Attach.usdt(
                            program, of: object, binary: USDTTarget.path, provider: "swiftbpf", name: "nope")
                    } == .noUSDT(provider: "swiftbpf", name: "nope", binary: USDTTarget.path))
                let other = try loadTestData("minimal.bpfel.o")
                #expect(
                    problem { () throws(AttachError) in
                        try Attach.usdt(
                            program, of: other, binary: USDTTarget.path, provider: "swiftbpf", name: "plain")
                    } == .noUSDTSpecsMap)
                #expect(throws: AttachError.self) {
                    _ = try Attach.usdt(
                        program, of: object, binary: TestPaths.testData + "/usdt/usdt_target.c", provider: "swiftbpf",
                        name: "plain")
                }
            }
        }
    }
}
