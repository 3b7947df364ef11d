import Glibc
import SyscallCounterKit
import Testing

@Test("the counter sees exactly this process's getpid calls while it lives")
func countsGetpid() throws {
    let counter = try Counter()
    let before = counter.calls
    for _ in 0..<7 { _ = getpid() }
    #expect(counter.calls - before == 7)
}
