import BPF
import BPFObject
import Glibc
import TestSupport
import Testing

/// perfbuf.bpf.c loaded for this process, its tracepoint attached, and a reader on its events.
func withPerfbuf(pages: Int, _ body: (borrowing PerfBuffer) throws -> Void) throws {
    var spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/perfbuf.bpfel.o")
    try spec.setInitialValue(withUnsafeBytes(of: UInt32(getpid())) { Array($0) }, of: "pid")
    let object = try spec.load()
    let reader = try PerfBuffer(try object.map(named: "events").required("events"), pages: pages)
    let program = try object.program(named: "emit").required("emit")
    let link = try Attach.tracepoint(program: program.descriptor, category: "syscalls", name: "sys_enter_getppid")
    try body(reader)
    link.detach()
}

/// Reads until the reader has nothing for 100 ms: (samples, lost samples).
func drain(_ reader: borrowing PerfBuffer) throws -> (UInt64, UInt64) {
    var samples: UInt64 = 0, lost: UInt64 = 0
    while try reader.poll(
        timeout: 100,
        { record in
            switch record {
            case .sample: samples += 1
            case .lost(_, let count): lost += count
            }
        }) > 0
    {}
    return (samples, lost)
}

extension KernelTests {
    @Suite("Perf event array reader", kernelTrait, .serialized)
    struct PerfBufferTests {
        @Test("every sample arrives whole, in order, with its size, across ring wrap-arounds")
        func samples() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                try withPerfbuf(pages: 1) { reader in
                    var seen: [UInt32] = [], lost: UInt64 = 0, damaged = 0
                    // 1,000 records of 8-52 bytes through a one-page ring, drained every 20 calls.
                    for _ in 0..<50 {
                        for _ in 0..<20 { _ = getppid() }
                        try reader.poll(timeout: 1000) { record in
                            switch record {
                            case .sample(_, let data):
                                let seq = data.loadUnaligned(as: UInt32.self)
                                seen.append(seq)
                                // The program wrote 4 + (seq % 40) + 1 bytes: seq, then bytes seq + i.
                                let payload = Array(data.dropFirst(4))
                                if data.count < 4 + Int(seq % 40) + 1
                                    || payload.enumerated().prefix(Int(seq % 40) + 1).contains(where: {
                                        $0.element != UInt8(truncatingIfNeeded: seq + UInt32($0.offset))
                                    })
                                {
                                    damaged += 1
                                }
                            case .lost(_, let count): lost += count
                            }
                        }
                    }
                    #expect(lost == 0)
                    #expect(damaged == 0)
                    // Calls may run on different CPUs: order holds per CPU, so compare sorted.
                    #expect(seen.sorted() == Array(0..<1000))
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test("a full ring reports what it lost: samples plus lost add up to what was written")
        func lostSamples() throws {
            try KernelObjects.exclusively {
                try withPerfbuf(pages: 1) { reader in
                    for _ in 0..<2000 { _ = getppid() }
                    var (samples, lost) = try drain(reader)
                    // The kernel writes its lost-samples record once there is room again.
                    _ = getppid()
                    let (moreSamples, moreLost) = try drain(reader)
                    samples += moreSamples
                    lost += moreLost
                    #expect(lost > 0)
                    #expect(samples + lost == 2001)
                }
            }
        }
    }
}
