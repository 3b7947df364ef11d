import Glibc
import SyscallCounterKit

// Counts this process's getpid() calls for a moment, then prints them (run as root).
let counter = try Counter()
for _ in 0..<5 { _ = getpid() }
print("getpid calls counted: \(counter.calls)")
