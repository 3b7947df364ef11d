import Glibc

/// A string viewed in place inside a file's bytes: no copy, no allocation.
///
/// Valid as long as the bytes it was taken from. Compare it with a `String`
/// directly (`name == ".text"`); convert with `String(name)` when a copy is wanted.
public struct ByteString: Hashable, Sendable, CustomStringConvertible, Comparable {
    nonisolated(unsafe) public let utf8: UnsafeBufferPointer<UInt8>

    @inlinable
    public init(_ utf8: UnsafeBufferPointer<UInt8>) { self.utf8 = utf8 }

    /// The longest string read from a table: 4 KiB. Every name access scans for its NUL, so many
    /// names that are suffixes of one long string would cost names × length; bounded, a walk over
    /// names stays linear. (No compiler writes such names: the kernel refuses BTF names past 512.)
    public static let maximumLength = 4096

    /// The NUL-terminated string starting at `offset` in `table`, or `nil` when `offset` lies
    /// outside the table or no NUL follows it, inside the table, within ``maximumLength`` bytes.
    @inlinable
    public init?(in table: UnsafeRawBufferPointer, at offset: UInt64) {
        guard offset < UInt64(table.count), let base = table.baseAddress else { return nil }
        let start = base + Int(offset)
        let remaining = table.count - Int(offset)
        guard let nul = memchr(start, 0, min(remaining, Self.maximumLength + 1)) else { return nil }
        let length = UnsafeRawPointer(nul) - start
        utf8 = UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: length)
    }

    /// The empty string.
    public static let empty = ByteString(UnsafeBufferPointer(start: nil, count: 0))

    @inlinable public var count: Int { utf8.count }
    @inlinable public var isEmpty: Bool { utf8.isEmpty }

    /// The text, invalid UTF-8 repaired (U+FFFD). Copied through `String(unsafeUninitializedCapacity:)`:
    /// `String(decoding:as:)` pays a dynamic cast to find contiguous bytes.
    public var description: String { String(repairing: UnsafeRawBufferPointer(utf8)) }

    @inlinable
    public static func == (lhs: ByteString, rhs: ByteString) -> Bool {
        lhs.utf8.count == rhs.utf8.count && samePrefix(lhs.utf8, rhs.utf8, count: lhs.utf8.count)
    }

    @inlinable
    public static func < (lhs: ByteString, rhs: ByteString) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    /// Feeds the bytes' `ByteHash` (keyed per process) to `hasher`: one word, however long the name.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ByteHash.hash(utf8))
    }

    /// What `Dictionary` and `Set` bucket by: the keyed `ByteHash` folded with the table's seed,
    /// without a `Hasher` (names are the keys of most of the project's tables).
    public func _rawHashValue(seed: Int) -> Int {
        Int(truncatingIfNeeded: ByteHash.fold(ByteHash.hash(utf8) ^ UInt64(UInt(bitPattern: seed)), ByteHash.key.1))
    }

    @inlinable
    public static func == (lhs: ByteString, rhs: String) -> Bool {
        guard rhs.utf8.count == lhs.utf8.count else { return false }  // O(1) for native strings: most names differ here
        var rhs = rhs
        return rhs.withUTF8 { ByteString($0) == lhs }
    }

    @inlinable
    public static func == (lhs: String, rhs: ByteString) -> Bool { rhs == lhs }

    /// Lets `switch` match a ByteString against string literals without making a String of it.
    @inlinable
    public static func ~= (pattern: String, value: ByteString) -> Bool { value == pattern }

    /// Whether the first `count` bytes of `a` and `b` (both at least that long) are equal.
    @inlinable
    static func samePrefix(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, count: Int) -> Bool {
        guard count > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return true }
        return memcmp(pa, pb, count) == 0
    }

    /// Whether the string begins with `prefix`.
    @inlinable
    public func hasPrefix(_ prefix: String) -> Bool {
        guard prefix.utf8.count <= utf8.count else { return false }
        var prefix = prefix
        return prefix.withUTF8 { p in
            p.count <= utf8.count && ByteString.samePrefix(p, utf8, count: p.count)
        }
    }

    /// The part after `prefix`, or `nil` when the string does not begin with it.
    @inlinable
    public func dropping(prefix: String) -> ByteString? {
        guard hasPrefix(prefix) else { return nil }
        let n = prefix.utf8.count
        return ByteString(UnsafeBufferPointer(rebasing: utf8[n...]))
    }
}

extension ByteString {
    /// Whether the string equals `literal` (compared in place: no String, no reference count).
    @inlinable
    public func matches(_ literal: StaticString) -> Bool {
        literal.utf8CodeUnitCount == utf8.count
            && ByteString.samePrefix(
                utf8, UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount), count: utf8.count
            )
    }

    /// Whether the string begins with `literal` (compared in place).
    @inlinable
    public func starts(with literal: StaticString) -> Bool {
        literal.utf8CodeUnitCount <= utf8.count
            && ByteString.samePrefix(
                utf8, UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount),
                count: literal.utf8CodeUnitCount)
    }
}

extension String {
    /// A copy of a string viewed in a file.
    public init(_ string: ByteString) { self = string.description }

    /// The UTF-8 text of `bytes`, invalid sequences repaired (U+FFFD), as `String(decoding:as:)`
    /// makes it but without its dynamic cast.
    public init(repairing bytes: UnsafeRawBufferPointer) {
        self.init(unsafeUninitializedCapacity: bytes.count) { buffer in
            guard let source = bytes.baseAddress, let target = buffer.baseAddress else { return 0 }
            UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: bytes.count)
            return bytes.count
        }
    }
}
