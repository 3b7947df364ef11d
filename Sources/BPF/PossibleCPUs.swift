import ELF64

/// The CPUs the kernel may ever bring online (`/sys/devices/system/cpu/possible`):
/// per-CPU maps hold one value for each.
public enum PossibleCPUs {
    /// How many possible CPUs there are (ranges such as `0-3,5` counted), at least 1.
    public static let count: Int = {
        guard let storage = try? ByteStorage(contentsOfFile: "/sys/devices/system/cpu/possible") else { return 1 }
        return max(1, parse(String(decoding: storage.bytes, as: UTF8.self)))
    }()

    /// Counts the CPUs in a list such as `0-3,5`.
    public static func parse(_ text: String) -> Int {
        var total = 0
        for part in text.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 2, bounds[1] >= bounds[0] { total += bounds[1] - bounds[0] + 1 } else if bounds.count == 1 { total += 1 }
        }
        return total
    }
}
