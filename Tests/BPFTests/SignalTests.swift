import BPF
import BPFObject
import Glibc
import Synchronization
import TestSupport
import Testing

extension KernelTests {
    @Suite("System calls under signals", kernelTrait, .serialized)
    struct SignalTests {
        @Test("a test run a signal interrupts is not issued again: the program runs at most the times asked")
        func testRunNotReissued() throws {
            try KernelObjects.exclusively {
                let object = try loadTestData("multi.bpfel.o")
                let program = try object.program(named: "xdp_pass").required("xdp_pass")
                let totals = try object.map(named: "totals").required("totals")
                // xdp_pass counts its runs in totals[1].packets.
                func packets() throws -> UInt64 {
                    try totals.value([1, 0, 0, 0]).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                }
                var action = sigaction()
                action.__sigaction_handler.sa_handler = { _ in }
                sigaction(SIGUSR1, &action, nil)
                var set = sigset_t()
                sigemptyset(&set)
                sigaddset(&set, SIGUSR1)
                pthread_sigmask(SIG_UNBLOCK, &set, nil)
                let before = try packets()
                // A signal every 5 ms at this thread while it runs the program 3,000,000 times (~0.3 s alone).
                final class Signaller: @unchecked Sendable {
                    let target = pthread_self()
                    let done = Atomic<Bool>(false)
                }
                let signaller = Signaller()
                var thread = pthread_t()
                pthread_create(
                    &thread, nil,
                    { context in
                        let signaller = Unmanaged<Signaller>.fromOpaque(context.unsafelyUnwrapped).takeRetainedValue()
                        // At most 2 s of signals: a run issued again after each would otherwise never end.
                        for _ in 0..<400 where !signaller.done.load(ordering: .relaxed) {
                            pthread_kill(signaller.target, SIGUSR1)
                            usleep(5_000)
                        }
                        return nil
                    }, Unmanaged.passRetained(signaller).toOpaque())
                let start = ContinuousClock.now
                let outcome = Result { () throws(SyscallError) in
                    try program.testRun(data: [UInt8](repeating: 0, count: 64), repeat: 3_000_000)
                }
                let elapsed = ContinuousClock.now - start
                signaller.done.store(true, ordering: .relaxed)
                pthread_join(thread, nil)
                if case let .failure(error) = outcome { #expect(error.errno == EINTR, "\(error)") }
                #expect(try packets() - before <= 3_000_000, "the interrupted run was issued again from the start")
                #expect(elapsed < .seconds(2), "the call took \(elapsed) under signals")
            }
        }
    }
}
