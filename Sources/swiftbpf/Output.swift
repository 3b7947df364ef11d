import Glibc

/// `print(..., to: &standardError)`.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = string
        bytes.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

extension String {
    /// Left-aligned in a column of `width` characters (never truncated).
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    /// Right-aligned in a column of `width` characters (never truncated).
    func leftPadding(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// `value` in hexadecimal, zero-padded to `digits`.
func hex<T: BinaryInteger>(_ value: T, digits: Int) -> String {
    let digitsOnly = String(value, radix: 16)
    return String(repeating: "0", count: max(0, digits - digitsOnly.count)) + digitsOnly
}

/// Standard output, buffered in 64 KiB chunks: dumps print hundreds of thousands of lines.
struct BufferedStandardOutput: TextOutputStream {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    mutating func write(_ string: String) {
        buffer.append(contentsOf: string.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        var done = 0
        buffer.withUnsafeBytes { raw in
            while done < raw.count {
                let n = Glibc.write(1, raw.baseAddress.map { $0 + done }, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
