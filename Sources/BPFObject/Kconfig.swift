/// A kernel build configuration: `CONFIG_*` names to their values as the
/// `.config` text writes them (`y`, `m`, `n`, numbers, quoted strings).
public struct KernelConfig: Sendable {
    public private(set) var values: [String: String] = [:]

    /// Parses `.config` text: `CONFIG_X=value` lines and `# CONFIG_X is not set` (as `n`).
    public init(text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# CONFIG_"), line.hasSuffix(" is not set") {
                let name = line.dropFirst(2).dropLast(" is not set".count)
                values[String(name)] = "n"
            } else if line.hasPrefix("CONFIG_"), let eq = line.firstIndex(of: "=") {
                values[String(line[..<eq])] = String(line[line.index(after: eq)...])
            }
        }
    }

    /// Reads a gzip-compressed configuration, as `/proc/config.gz` holds it.
    public init(gzip bytes: [UInt8]) throws(Gzip.Failure) {
        self.init(text: String(decoding: try Gzip.decompress(bytes), as: UTF8.self))
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
