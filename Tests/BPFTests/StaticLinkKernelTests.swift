import BPF
import BPFObject
import ELF64
import Foundation
import Glibc
import TestSupport
import Testing

extension KernelTests {
    /// Objects linked by ``BPFLinker`` load and run as their sources say, and the kernel translates
    /// their programs exactly as it translates libbpf's link of the same inputs.
    @Suite("Statically linked objects on the kernel", kernelTrait, .serialized)
    struct StaticLinkKernelTests {
        static let inputs = ["link_lib.bpfel.o", "link_main.bpfel.o"].map { TestPaths.testData + "/obj/" + $0 }

        static func linked() throws -> [UInt8] {
            try BPFLinker.link(
                inputs.map { BPFLinker.Input(name: $0, file: try ELFFile(ByteStorage(contentsOfFile: $0))) })
        }

        @Test("the linked programs call across files, share the library's map and variable, and take the strong tweak")
        func behaves() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    let object = try ObjectSpec(bytes: try Self.linked(), name: "linked").load()
                    let counts = try object.map(named: "shared_counts").required("shared_counts")
                    let globals = try GlobalData(object)
                    // main_prog: lib_add(helper_main(lib_scale), tweak_main(lib_scale)) = (3 * 10 + 100) + 6 * 3.
                    let main = try object.program(named: "main_prog").required("main_prog")
                    #expect(try main.testRun().returnValue == 148)
                    #expect(try main.testRun().returnValue == 148)
                    #expect(try counts.value([0, 0, 0, 0]) == withUnsafeBytes(of: UInt64(296)) { Array($0) })
                    #expect(try globals.value(of: "main_total", as: UInt32.self) == 296)
                    // lib_prog: the library's helper (1 + 100); its weak tweak lost to main's (5 * 2).
                    let library = try object.program(named: "lib_prog").required("lib_prog")
                    #expect(try library.testRun().returnValue == 101)
                    #expect(try counts.value([1, 0, 0, 0]) == withUnsafeBytes(of: UInt64(10)) { Array($0) })
                    try globals.set(UInt32(5), of: "lib_scale")
                    // The library's variable, written from user space, is what both files read: (5 * 10 + 100) + (5 * 2) * 5.
                    #expect(try main.testRun().returnValue == 200)
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test("each program's translated instructions equal those of libbpf's link of the same inputs")
        func translatedLikeLibbpf() throws {
            let cc = try #require(Host.find("cc"), "cc builds libbpf's side")
            let tool = NSTemporaryDirectory() + "swiftbpf-bpf-link-kernel-\(getpid())"
            let output = tool + ".o"
            defer {
                try? FileManager.default.removeItem(atPath: tool)
                try? FileManager.default.removeItem(atPath: output)
            }
            let build = try Host.capture(
                cc, ["-O2", "-o", tool, TestPaths.root + "/Tests/Reference/bpf-link.c", "-lbpf"])
            try #require(build.status == 0, "the reference builds: \(build.err)")
            let run = try Host.capture(tool, [output] + Self.inputs)
            try #require(run.status == 0, "libbpf links: \(run.err)")
            try KernelObjects.exclusively {
                let ours = try ObjectSpec(bytes: try Self.linked(), name: "linked").load()
                let theirs = try ObjectSpec(contentsOfFile: output).load()
                #expect(ours.programNames.sorted() == ["lib_prog", "main_prog"])
                for name in ours.programNames {
                    let a = try TranslatedProgram(of: try ours.program(named: name).required(name).descriptor)
                    let b = try TranslatedProgram(of: try theirs.program(named: name).required(name).descriptor)
                    #expect(Self.withoutMapIDs(a.instructions) == Self.withoutMapIDs(b.instructions), "\(name)")
                    #expect(a.instructions.count > 10)
                }
            }
        }

        /// The instructions with the map ids (and value offsets) of map loads cleared: each load creates its own maps.
        static func withoutMapIDs(_ instructions: [Instruction]) -> [Instruction] {
            var result = instructions
            var index = 0
            while index < result.count {
                if result[index].opcode == 0x18, result[index].source != 0, index + 1 < result.count {
                    result[index].immediate = 0
                    result[index + 1].immediate = 0
                    index += 2
                } else {
                    index += 1
                }
            }
            return result
        }
    }
}
