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
