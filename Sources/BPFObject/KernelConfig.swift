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
    /// name a few of the kernel's thousands of options needs).
    public init(text: UnsafeBufferPointer<UInt8>, keeping names: [String]) {
        let wanted = names.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
        values = Self.parse(text) { name in Self.contains(wanted, name) }
    }

    /// Whether `sorted` (byte strings in lexicographic order) holds `name`, by binary search.
    private static func contains(_ sorted: [[UInt8]], _ name: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle].lexicographicallyPrecedes(name) {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low < sorted.count && sorted[low].elementsEqual(name)
    }

    /// Parses the text as bytes, line by line (a `\r` before a line's end is dropped), keeping the
    /// options whose names `keep` accepts.
    private static func parse(
        _ text: UnsafeBufferPointer<UInt8>, keep: (Slice<UnsafeBufferPointer<UInt8>>) -> Bool
    ) -> [String: String] {
        let notSet = Array(" is not set".utf8), commentedName = Array("# CONFIG_".utf8), name = Array("CONFIG_".utf8)
        var values: [String: String] = [:]
        guard let base = text.baseAddress else { return values }
        var start = 0
        while start < text.count {
            // memchr finds line ends a word at a time (and, fuzzed, without tracing each byte).
            let end =
                memchr(base + start, Int32(UInt8(ascii: "\n")), text.count - start)
                .map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - base } ?? text.count
            var line = text[start..<end]
            start = end + 1
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard !line.isEmpty else { continue }
            if line.starts(with: commentedName), line.count >= commentedName.count + notSet.count,
                line.suffix(notSet.count).elementsEqual(notSet)
            {
                let option = line.dropFirst(2).dropLast(notSet.count)
                if keep(option) { values[String(decoding: option, as: UTF8.self)] = "n" }
            } else if line.starts(with: name), let eq = line.firstIndex(of: UInt8(ascii: "=")), keep(line[..<eq]) {
                values[String(decoding: line[..<eq], as: UTF8.self)] = String(
                    decoding: line[(eq + 1)...], as: UTF8.self)
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
