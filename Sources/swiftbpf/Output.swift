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

/// A one-line progress report on standard error, shown only when it is a terminal
/// and the operation lasts: redrawn at most every 100 ms, erased when done.
final class TerminalProgress: @unchecked Sendable {
    private let enabled = isatty(2) == 1
    private var lastDraw: UInt64 = 0
    private var drawn = false

    /// Shows `completed`/`total` with a label, unless it was redrawn less than 100 ms ago.
    func update(_ label: String, completed: Int, total: Int) {
        guard enabled else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let milliseconds = UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
        guard milliseconds - lastDraw >= 100 || completed == total else { return }
        lastDraw = milliseconds
        drawn = true
        var standardError = StandardError()
        print("\r\u{1B}[K\(label) \(completed)/\(total)", terminator: "", to: &standardError)
    }

    /// Erases the line, if one was drawn.
    func finish() {
        guard drawn else { return }
        var standardError = StandardError()
        print("\r\u{1B}[K", terminator: "", to: &standardError)
        drawn = false
    }
}
