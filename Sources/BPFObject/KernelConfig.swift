import Glibc

/// A kernel build configuration: `CONFIG_*` names to their values as the
/// `.config` text writes them (`y`, `m`, `n`, numbers, quoted strings).
public struct KernelConfig: Sendable {
    public private(set) var values: [String: String] = [:]

    /// Parses `.config` text: `CONFIG_X=value` lines and `# CONFIG_X is not set` (as `n`).
    public init(text: String) {
        var text = text
        values = text.withUTF8 { Self.parse($0) { _ in true } }
    }

    /// Parses only the options named `names` from `.config` text given as bytes: the other lines
    /// are skipped, and no table of every option is made (what a load whose `__kconfig` externs
    /// name a few of the kernel's thousands of options needs). Names match byte for byte, as
    /// libbpf's `strcmp` matches them (``init(text:)``'s table matches canonically equivalent
    /// Unicode too; option names are ASCII).
    public init(text: UnsafeBufferPointer<UInt8>, keeping names: [String]) {
        let wanted = names.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
        // Bit n set when a wanted name is n bytes long (63: 63 or more): most lines fail this alone.
        let lengths = wanted.reduce(UInt64(0)) { $0 | 1 << min($1.count, 63) }
        values = Self.parse(text) { name in
            lengths & 1 << min(name.count, 63) != 0 && Self.contains(wanted, name)
        }
    }

    /// Whether `sorted` (byte strings in lexicographic order) holds `name`, by binary search.
    private static func contains(_ sorted: [[UInt8]], _ name: UnsafeBufferPointer<UInt8>) -> Bool {
        /// Negative, zero or positive as `a` sorts before, with or after `name` (memcmp's byte order).
        func compare(_ a: [UInt8]) -> Int {
            let common = min(a.count, name.count)
            if common > 0, let start = name.baseAddress {
                let order = a.withUnsafeBufferPointer { memcmp($0.baseAddress.unsafelyUnwrapped, start, common) }
                if order != 0 { return Int(order) }
            }
            return a.count - name.count
        }
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if compare(sorted[middle]) < 0 {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low < sorted.count && compare(sorted[low]) == 0
    }

    /// Parses the text as bytes, line by line (a `\r` before a line's end is dropped), keeping the
    /// options whose names `keep` accepts. Lines are found and compared with memchr and memcmp.
    private static func parse(
        _ text: UnsafeBufferPointer<UInt8>, keep: (UnsafeBufferPointer<UInt8>) -> Bool
    ) -> [String: String] {
        var values: [String: String] = [:]
        guard let base = text.baseAddress else { return values }
        /// Whether the `count` bytes at `p` start with `literal`.
        func starts(_ p: UnsafePointer<UInt8>, _ count: Int, with literal: StaticString) -> Bool {
            count >= literal.utf8CodeUnitCount && memcmp(p, literal.utf8Start, literal.utf8CodeUnitCount) == 0
        }
        let notSet: StaticString = " is not set"
        var start = 0
        while start < text.count {
            let line = base + start
            var length =
                memchr(line, Int32(UInt8(ascii: "\n")), text.count - start)
                .map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - line } ?? text.count - start
            start += length + 1
            if length > 0, line[length - 1] == UInt8(ascii: "\r") { length -= 1 }
            guard length > 0 else { continue }
            if starts(line, length, with: "# CONFIG_") {
                let tail = notSet.utf8CodeUnitCount
                guard length >= 9 + tail, memcmp(line + length - tail, notSet.utf8Start, tail) == 0 else { continue }
                let option = UnsafeBufferPointer(start: line + 2, count: length - 2 - tail)
                if keep(option) { values[String(decoding: option, as: UTF8.self)] = "n" }
            } else if starts(line, length, with: "CONFIG_"),
                let equals = memchr(line, Int32(UInt8(ascii: "=")), length)
            {
                let nameLength = UnsafePointer<UInt8>(equals.assumingMemoryBound(to: UInt8.self)) - line
                let option = UnsafeBufferPointer(start: line, count: nameLength)
                guard keep(option) else { continue }
                values[String(decoding: option, as: UTF8.self)] = String(
                    decoding: UnsafeBufferPointer(start: line + nameLength + 1, count: length - nameLength - 1),
                    as: UTF8.self)
            }
        }
        return values
    }

    public init(values: [String: String]) { self.values = values }

    public subscript(name: String) -> String? {
        get { values[name] }
        set { values[name] = newValue }
    }
}

/// `KERNEL_VERSION(a, b, c)` from a release string such as `6.18.44-fc-v657` (c saturates at 255).
public func kernelVersionCode(release: String) -> UInt32? {
    let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(3).compactMap { UInt32($0) }
    guard numbers.count >= 2 else { return nil }
    return numbers[0] << 16 | min(numbers[1], 255) << 8 | min(numbers.count > 2 ? numbers[2] : 0, 255)
}
