/// A keyed 64-bit hash of byte strings, for the tables of names read from files (``ByteString``'s
/// hashing, ``StringTableBuilder``): a word at a time, each folded with a per-process secret (a
/// 128-bit product's halves), so names crafted to collide cannot be computed offline.
package enum ByteHash {
    /// The secret words, drawn once per process from the standard library's random hashing seed;
    /// `SWIFT_DETERMINISTIC_HASHING` makes them fixed.
    @usableFromInline static let key: (UInt64, UInt64) = {
        func word(_ n: UInt64) -> UInt64 {
            var hasher = Hasher()
            hasher.combine(n)
            return UInt64(bitPattern: Int64(hasher.finalize())) | 1
        }
        return (word(0xb17e), word(0x5eed))
    }()

    @inlinable @inline(__always)
    static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    /// The hash of `bytes` (a nil base is the empty string).
    @inlinable
    package static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let (k0, k1) = key
        let count = bytes.count
        var h = k0 ^ UInt64(truncatingIfNeeded: count) &* 0x9e37_79b9_7f4a_7c15
        if count > 0, let base = bytes.baseAddress {
            let p = UnsafeRawPointer(base)
            var at = 0
            while count - at > 8 {
                h = fold(h ^ UInt64(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt64.self)), k1)
                at += 8
            }
            h = fold(h ^ (p + at).littleEndianWord(count: count - at), k1)
        }
        return fold(h, k0)
    }
}
