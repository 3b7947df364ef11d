import BPF
import BPFObject
import Glibc
import TestSupport
import Testing

extension KernelTests {
    @Suite("Global data through mmap", kernelTrait, .serialized)
    struct GlobalDataTests {
        @Test("rodata set before load steers the program; .data and .bss are read and written live")
        func readAndWrite() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    var spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/globals.bpfel.o")
                    try spec.setInitialValue(withUnsafeBytes(of: UInt32(3)) { Array($0) }, of: "step")
                    let object = try spec.load()
                    let globals = try GlobalData(object)
                    let program = try object.program(named: "advance").required("advance")
                    #expect(try globals.value(of: "step", as: UInt32.self) == 3)
                    #expect(try globals.value(of: "total", as: UInt64.self) == 5)
                    #expect(try globals.value(of: "runs", as: UInt64.self) == 0)
                    #expect(try globals.bytes(of: "label") == Array("counter\0".utf8))
                    for _ in 0..<2 { _ = try program.testRun() }
                    #expect(try globals.value(of: "total", as: UInt64.self) == 11)
                    #expect(try globals.value(of: "runs", as: UInt64.self) == 2)
                    #expect(try globals.bytes(of: "label") == Array("Counter\0".utf8))
                    try globals.set(UInt64(100), of: "total")
                    _ = try program.testRun()
                    #expect(try globals.value(of: "total", as: UInt64.self) == 103)
                    #expect(try globals.value(of: "runs", as: UInt64.self) == 3)

                    #expect(throws: GlobalDataError.readOnly("step")) { try globals.set(UInt32(9), of: "step") }
                    #expect(throws: GlobalDataError.sizeMismatch(variable: "total", size: 8, given: 4)) {
                        try globals.set(UInt32(1), of: "total")
                    }
                    #expect(throws: GlobalDataError.unknownVariable("missing")) { try globals.bytes(of: "missing") }
                    #expect(try globals.value(of: "step", as: UInt32.self) == 3)
                }
                #expect(KernelObjects.openCount() == before)
            }
        }
    }
}
