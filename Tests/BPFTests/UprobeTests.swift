import BPF
import BPFObject
import Foundation
import Glibc
import TestSupport
import Testing

/// The C library this process runs with (from /proc/self/maps): its `fnmatch`, a
/// function hardly anything calls, is what the tests probe (found through `.dynsym`).
let libc: String = {
    guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else {
        return "/lib/x86_64-linux-gnu/libc.so.6"
    }
    let line = maps.split(separator: "\n").first { $0.hasSuffix("/libc.so.6") }
    return line.map { String($0[$0.firstIndex(of: "/")!...]) } ?? "/lib/x86_64-linux-gnu/libc.so.6"
}()

/// Calls the probed function; returns the sum of its results, so the calls cannot be dropped.
func callProbed(_ times: Int) -> Int32 {
    (0..<times).reduce(0) { sum, i in sum &+ (fnmatch("a*", "a\(i)", 0) == 0 && i < 5 ? 1 : 0) }
}

extension KernelTests {
    @Suite("User-space probes", kernelTrait, .serialized)
    struct UprobeTests {
        @Test("a function's file offset comes from its symbol and section")
        func offset() throws {
            let offset = try Attach.fileOffset(of: "fnmatch", in: libc)
            #expect(offset > 0)
            // llvm-nm's address of the dynamic symbol, where the reference tool is installed: libc's .text is
            // mapped at file offset = address here, so the two agree.
            if let nm = Host.find("llvm-nm") ?? Host.find("nm") {
                let listing = try Host.capture(nm, ["-D", "--defined-only", libc]).out
                // Lines read "00000000000dcb40 T fnmatch@@GLIBC_2.2.5".
                let line = listing.split(separator: "\n").first {
                    $0.split(separator: " ").last?.split(separator: "@").first == "fnmatch"
                }
                let address = line.flatMap { UInt64($0.prefix { $0 != " " }, radix: 16) }
                #expect(address == offset)
            }
            #expect(throws: AttachError.self) { try Attach.fileOffset(of: "no_such_function_here", in: libc) }
        }

        @Test("uprobe and uretprobe on libc's fnmatch count this process's calls, until detached")
        func entriesAndReturns() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    var spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/probes.bpfel.o")
                    try spec.setInitialValue(withUnsafeBytes(of: UInt32(getpid())) { Array($0) }, of: "pid")
                    let object = try spec.load()
                    let globals = try GlobalData(object)
                    let entry = try object.program(named: "count_entry").required("count_entry")
                    let exit = try object.program(named: "count_return").required("count_return")
                    var sum: Int32 = 0
                    do {
                        let onEntry = try Attach.uprobe(program: entry.descriptor, binary: libc, symbol: "fnmatch")
                        let onReturn = try Attach.uprobe(
                            program: exit.descriptor, binary: libc, symbol: "fnmatch", returnProbe: true)
                        sum &+= callProbed(7)
                        #expect(try globals.value(of: "entries", as: UInt64.self) == 7)
                        #expect(try globals.value(of: "returns", as: UInt64.self) == 7)
                        onEntry.detach()
                        onReturn.detach()
                    }
                    sum &+= callProbed(3)
                    #expect(sum == 5 + 3)
                    #expect(try globals.value(of: "entries", as: UInt64.self) == 7)
                    #expect(try globals.value(of: "returns", as: UInt64.self) == 7)
                }
                #expect(KernelObjects.openCount() == before)
            }
        }
    }
}
