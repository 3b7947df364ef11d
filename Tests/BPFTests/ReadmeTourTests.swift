import BPF
import BPFObject
import TestSupport
import Testing

/// The README's Swift tour, statement for statement (paths made absolute, output checked),
/// so that it stays true.
extension KernelTests {
    @Suite("README tour", kernelTrait, .serialized)
    struct ReadmeTourTests {
        @Test("the Swift snippet runs and prints what the README says")
        func swiftSnippet() throws {
            try KernelObjects.exclusively {
                var spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/globals.bpfel.o")
                // the verifier sees 3
                try spec.setInitialValue(withUnsafeBytes(of: UInt32(3)) { Array($0) }, of: "step")
                let object = try spec.load()
                let globals = try GlobalData(object)
                _ = try object.program(named: "advance")!.testRun()
                #expect(try globals.value(of: "total", as: UInt64.self) == 8)

                let ring = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/ringbuf.bpfel.o").load()
                let events = try RingBuffer(ring.map(named: "events")!)
                _ = try ring.program(named: "emit")!.testRun(context: [10, 0, 0, 0])
                var sizes: [Int] = []
                try events.poll(timeout: 1000) { _, record in sizes.append(record.count) }
                #expect(sizes.count == 7)
            }
        }

        @Test("the skeleton snippet runs and prints what the README says")
        func skeletonSnippet() throws {
            try KernelObjects.exclusively {
                let spec = try Globals.open()
                spec.rodata.step = 3
                let skel = try spec.load()
                _ = try skel.programs.advance.testRun()
                #expect("\(skel.data.total) \(skel.bss.runs)" == "8 1")
            }
        }
    }
}
