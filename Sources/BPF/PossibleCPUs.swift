import ELF64
import Glibc

/// The CPUs the kernel may ever bring online (`/sys/devices/system/cpu/possible`):
/// per-CPU maps hold one value for each.
public enum PossibleCPUs {
    /// How many possible CPUs there are (ranges such as `0-3,5` counted); an error when the list
    /// cannot be read or counts none (a per-CPU buffer sized on a guess would be overrun).
    public static var count: Int {
        get throws(SyscallError) { try counted.get() }
    }

    private static let counted: Result<Int, SyscallError> = {
        let path = "/sys/devices/system/cpu/possible"
        let storage: ByteStorage
        do throws(SystemError) { storage = try ByteStorage(contentsOfFile: path) } catch {
            return .failure(
                SyscallError(operation: "reading \(path) (possible CPUs, for per-CPU values)", errno: error.errno))
        }
        let count = parse(storage.text)
        guard count > 0 else { return .failure(SyscallError(operation: "\(path) lists no CPU", errno: EINVAL)) }
        return .success(count)
    }()

    /// Counts the CPUs in a list such as `0-3,5`.
    public static func parse(_ text: String) -> Int {
        var total = 0
        for part in text.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
            // Bounded far above any kernel's NR_CPUS, so that no list overflows the count.
            let bounds = part.split(separator: "-").compactMap { Int($0) }.map { min($0, 1 << 20) }
            if bounds.count == 2, bounds[1] >= bounds[0] {
                total += bounds[1] - bounds[0] + 1
            } else if bounds.count == 1 {
                total += 1
            }
            total = min(total, 1 << 20)
        }
        return total
    }
}
