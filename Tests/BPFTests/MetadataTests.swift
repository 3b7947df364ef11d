import BPF
import BPFObject
import BTF
import ELF64
import Foundation
import Glibc
import ParserHarness
import TestSupport
import Testing

extension KernelTests {
    @Suite("Program metadata (BPF_PROG_BIND_MAP)", kernelTrait)
    struct MetadataTests {
        @Test("the probe says supported, leaves nothing open, and runs once however many threads ask")
        func probe() async throws {
            let before = KernelObjects.exclusively { KernelObjects.openCount() }
            let answers = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<16 { group.addTask { Features.programBindMap } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.allSatisfy { $0 })
            #expect(Features.programBindMapProbeRuns == 1)
            #expect(KernelObjects.exclusively { KernelObjects.openCount() } <= before)
        }

        @Test("an unreferenced .rodata map is bound to every program and read back as bpftool would")
        func bound() throws {
            try KernelObjects.exclusively {
                let object = try loadTestData("metadata.bpfel.o")
                let rodata = try MapInfo(
                    of: try object.map(named: "metadata.rodata").required("metadata.rodata").descriptor)
                for program in ["quiet", "reads_limit"] {
                    let fd = try object.program(named: program).required(program)
                    #expect(try fd.info().mapIDs.contains(rodata.id), "\(program) lacks the .rodata map")
                    let metadata = try ProgramMetadata.read(program: fd.descriptor).required("metadata of \(program)")
                    #expect(metadata.mapID == rodata.id)
                    #expect(metadata.entries.map(\.name) == ["owner", "build", "debug"])
                    #expect(
                        metadata.entries.map(\.value) == [
                            .string("team-observability"), .signed(20_261_129), .bool(true),
                        ])
                }
                // The map is frozen: user space cannot change the metadata.
                #expect(throws: SyscallError.self) {
                    try object.map(named: "metadata.rodata").required("map").update(
                        [0, 0, 0, 0], [UInt8](repeating: 0, count: Int(rodata.valueSize)))
                }
            }
        }

        @Test("the original proposal's .metadata section is its own bound, frozen map")
        func metadataSection() throws {
            try KernelObjects.exclusively {
                let object = try loadTestData("metadata_section.bpfel.o")
                let map = try MapInfo(of: try object.map(named: "metadata.rodata").required("metadata map").descriptor)
                #expect(map.type == .array && map.keySize == 4 && map.maxEntries == 1 && map.btfValueTypeID != 0)
                #expect(
                    map.flags & (MapFlag.readOnlyProgram | MapFlag.mmapable) == MapFlag.readOnlyProgram
                        | MapFlag.mmapable)
                let fd = try object.program(named: "tagged").required("tagged")
                let metadata = try ProgramMetadata.read(program: fd.descriptor).required("metadata")
                #expect(metadata.entries.map(\.name) == ["revision", "schema"])
                #expect(metadata.entries.map(\.value) == [.string("4f2c9e1"), .unsigned(3)])
            }
        }

        @Test(
            "only .rodata and .metadata are bound: custom .rodata.* sections are not (P programs × R sections made P×R binds)"
        )
        func onlyMetadataMapsBound() throws {
            try KernelObjects.exclusively {
                let bytes = SyntheticObjects.manyEntries(count: 3, dataSections: 5)
                let spec = try ObjectSpec(elf: ELFFile(ByteStorage(copying: bytes)), name: "entries")
                #expect(spec.maps.filter(\.isReadOnlyData).count == 5)
                let object = try spec.load()
                var bound: Set<UInt32> = []
                for name in ["entries.rodata", "metadata.rodata"] {
                    bound.insert(try MapInfo(of: try object.map(named: name).required(name).descriptor).id)
                }
                for program in ["p0", "p1", "p2"] {
                    let ids = try ProgramInfo(of: try object.program(named: program).required(program).descriptor)
                        .mapIDs
                    #expect(Set(ids) == bound, "\(program) is bound to \(ids), not only to .rodata and .metadata")
                }
            }
        }

        @Test("turning binding off leaves the unreferenced map out of map_ids")
        func bindingOff() throws {
            try KernelObjects.exclusively {
                var options = LoadOptions()
                options.bindReadOnlyData = false
                let object = try loadTestData("metadata.bpfel.o", options)
                let rodata = try MapInfo(of: try object.map(named: "metadata.rodata").required("map").descriptor)
                let quiet = try object.program(named: "quiet").required("quiet")
                #expect(!(try quiet.info().mapIDs.contains(rodata.id)))
                #expect(try ProgramMetadata.read(program: quiet.descriptor) == nil)
                // A program that reads .rodata holds it regardless.
                let reads = try object.program(named: "reads_limit").required("reads_limit")
                #expect(try reads.info().mapIDs.contains(rodata.id))
                // The explicit API binds any map to any program.
                try ProgramCommands.bindMap(
                    program: quiet.descriptor.rawValue,
                    map: try object.map(named: "metadata.rodata").required("map").descriptor.rawValue)
                #expect(try quiet.info().mapIDs.contains(rodata.id))
            }
        }
    }
}

extension KernelTests {
    @Suite(
        "Metadata interop with bpftool", kernelTrait,
        .enabled(if: Host.find("bpftool") != nil || Host.required, "bpftool is not installed"))
    struct MetadataInteropTests {
        static func metadataLines(_ text: String) -> [String] {
            text.split(separator: "\n").drop { !$0.hasPrefix("\tmetadata:") }.map(String.init)
        }

        static func mapIDs(_ text: String) -> String? {
            text.split(separator: " ").drop { $0 != "map_ids" }.dropFirst().first.map {
                String($0.prefix { $0 != "\n" })
            }
        }

        @Test("loaded and pinned by swiftbpf, shown by bpftool; loaded by bpftool, shown by swiftbpf: the same lines")
        func bothWays() throws {
            let bpftool = try #require(Host.find("bpftool"))
            #expect(Host.ensureBPFFS())
            let object = TestPaths.testData + "/obj/metadata.bpfel.o"
            for (loader, dir) in [
                ("swiftbpf", "/sys/fs/bpf/swiftbpf-test-ours-\(getpid())"),
                ("bpftool", "/sys/fs/bpf/swiftbpf-test-theirs-\(getpid())"),
            ] {
                defer { try? FileManager.default.removeItem(atPath: dir) }
                let load =
                    loader == "swiftbpf"
                    ? try Host.capture(Host.swiftbpf, ["prog", "load", object, "--pin-dir", dir])
                    : try Host.capture(bpftool, ["prog", "loadall", object, dir])
                #expect(load.status == 0, "\(loader) load: \(load.err)")
                for program in ["quiet", "reads_limit"] {
                    let theirs = try Host.capture(bpftool, ["prog", "show", "pinned", dir + "/" + program])
                    let ours = try Host.capture(Host.swiftbpf, ["prog", "show", "--pinned", dir + "/" + program])
                    #expect(theirs.status == 0 && ours.status == 0, "\(theirs.err) \(ours.err)")
                    #expect(
                        Self.metadataLines(ours.out) == [
                            "\tmetadata:", "\t\towner = \"team-observability\"", "\t\tbuild = 20261129",
                            "\t\tdebug = true",
                        ])
                    #expect(Self.metadataLines(ours.out) == Self.metadataLines(theirs.out), "loaded by \(loader)")
                    #expect(Self.mapIDs(ours.out) == Self.mapIDs(theirs.out) && Self.mapIDs(ours.out) != nil)
                    let oursJSON =
                        try JSONSerialization.jsonObject(
                            with: Data(
                                try Host.capture(
                                    Host.swiftbpf, ["prog", "show", "--pinned", dir + "/" + program, "--json"]
                                ).out.utf8)) as? [String: Any]
                    let theirsJSON =
                        try JSONSerialization.jsonObject(
                            with: Data(
                                try Host.capture(bpftool, ["prog", "show", "pinned", dir + "/" + program, "--json"]).out
                                    .utf8)) as? [String: Any]
                    #expect((oursJSON?["metadata"] as? NSDictionary) == (theirsJSON?["metadata"] as? NSDictionary))
                }
            }
        }

        @Test("enums, structs, arrays, signed and 64-bit values print as bpftool prints them, text and JSON")
        func shapes() throws {
            let bpftool = try #require(Host.find("bpftool"))
            #expect(Host.ensureBPFFS())
            let dir = "/sys/fs/bpf/swiftbpf-test-shapes-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let load = try Host.capture(
                Host.swiftbpf, ["prog", "load", TestPaths.testData + "/obj/metadata_types.bpfel.o", "--pin-dir", dir])
            #expect(load.status == 0, "\(load.err)")
            let theirs = try Host.capture(bpftool, ["prog", "show", "pinned", dir + "/shapes"]).out
            let ours = try Host.capture(Host.swiftbpf, ["prog", "show", "--pinned", dir + "/shapes"]).out
            #expect(
                Self.metadataLines(ours) == [
                    "\tmetadata:", "\t\tlevel = \"HIGH\"", "\t\tversion = {\"major\":2,\"minor\":5}",
                    "\t\tlist = [1,2,3]", "\t\tsmall = -3", "\t\tbig = 18446744073709551615",
                ])
            #expect(Self.metadataLines(ours) == Self.metadataLines(theirs))
            let oursJSON =
                try JSONSerialization.jsonObject(
                    with: Data(
                        try Host.capture(Host.swiftbpf, ["prog", "show", "--pinned", dir + "/shapes", "--json"]).out
                            .utf8)) as? [String: Any]
            let theirsJSON =
                try JSONSerialization.jsonObject(
                    with: Data(
                        try Host.capture(bpftool, ["prog", "show", "pinned", dir + "/shapes", "--json"]).out.utf8))
                as? [String: Any]
            #expect((oursJSON?["metadata"] as? NSDictionary) == (theirsJSON?["metadata"] as? NSDictionary))
            #expect((oursJSON?["metadata"] as? NSDictionary) != nil)
        }

        @Test("a failed pinned load leaves no pin behind")
        func failedLoadLeavesNoPins() throws {
            #expect(Host.ensureBPFFS())
            let dir = "/sys/fs/bpf/swiftbpf-test-rejected-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let result = try Host.capture(
                Host.swiftbpf, ["prog", "load", TestPaths.testData + "/obj/rejected.bpfel.o", "--pin-dir", dir])
            #expect(result.status == 1)
            #expect(result.err.contains("invalid mem access"))
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).isEmpty)
        }
    }
}

extension KernelTests {
    @Suite("BTF kind probes and sanitizing", kernelTrait)
    struct BTFSanitizeTests {
        @Test("this kernel accepts every BTF kind")
        func probes() {
            #expect(Features.btfKinds == .all)
        }

        @Test(
            "an object loads with its BTF rewritten for a kernel that lacks every optional kind",
            arguments: [
                BTFKindSupport(), [.functions], [.functions, .dataSections],
                BTFKindSupport.all.subtracting([.enum64, .typeTag, .declTag, .float]),
            ])
        func sanitizedLoads(_ kinds: BTFKindSupport) throws {
            try KernelObjects.exclusively {
                var options = LoadOptions()
                options.btfKinds = kinds
                let warnings = WarningLog()
                options.diagnostics = { warnings.append($0) }
                let object = try loadTestData("metadata.bpfel.o", options)
                #expect(object.hasBTF == true, "the kernel refused the sanitized BTF: \(warnings.all)")
                #expect(object.programNames == ["quiet", "reads_limit"])
            }
        }
    }
}

/// Collects diagnostics from a load (they arrive on the loading thread).
final class WarningLog: @unchecked Sendable {
    private var lines: [String] = []
    func append(_ line: String) { lines.append(line) }
    var all: [String] { lines }
}
