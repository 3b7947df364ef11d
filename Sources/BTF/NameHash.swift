import ELF64

/// A fast 64-bit hash of names, 32 bytes at a time: the same value whether
/// the name's length is known (a query) or found by its NUL (a name in BTF).
///
/// Keyed per process (every lane of every block mixes a secret word), so that names crafted to
/// collide cannot be computed offline: an unkeyed hash let a hostile BTF put every name in one
/// probe cluster and make the index build quadratic.
///
/// A name is hashed as zero-padded 32-byte blocks up to and including the
/// block that holds its end, so most kernel names (90% are under 32 bytes)
/// take one block whose NUL is masked without a branch: the per-name
/// length-dependent branch was the index build's main cost.
package enum NameHash {
    private static let s0: UInt64 = 0xa076_1d64_78bd_642f, s1: UInt64 = 0xe703_7ed1_a0b4_28db
    private static let s2: UInt64 = 0x8ebc_6af0_9c88_c6e3, s3: UInt64 = 0x5899_65cc_7537_4cc3

    @inline(__always)
    private static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    /// The secret words, drawn once per process from the standard library's random hashing seed
    /// (no system call in this module); `SWIFT_DETERMINISTIC_HASHING` makes them fixed.
    package struct Key: Sendable {
        package let k0: UInt64, k1: UInt64, k2: UInt64, k3: UInt64
        /// A block's second half when its last 16 bytes are zero: what a name of 16 bytes or
        /// fewer (most names) mixes in, computed once.
        let zeroHalf: UInt64

        init(k0: UInt64, k1: UInt64, k2: UInt64, k3: UInt64) {
            (self.k0, self.k1, self.k2, self.k3) = (k0, k1, k2, k3)
            zeroHalf = NameHash.fold(NameHash.s2 ^ k2, NameHash.s3 ^ k3)
        }

        package static let process: Key = {
            func word(_ n: UInt64) -> UInt64 {
                var hasher = Hasher()
                hasher.combine(n)
                return UInt64(bitPattern: Int64(hasher.finalize()))
            }
            return Key(k0: word(0), k1: word(1), k2: word(2), k3: word(3))
        }()
    }

    @inline(__always)
    private static func block(_ h: UInt64, _ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64, _ key: Key) -> UInt64 {
        fold(a ^ s0 ^ h, b ^ s1 ^ key.k1) ^ fold(c ^ s2 ^ key.k2, d ^ s3 ^ key.k3)
    }

    @inline(__always)
    private static func finish(_ h: UInt64) -> UInt64 {
        fold(h ^ s1, s0)
    }

    /// The little-endian word of `count` bytes at `p` (none when 0 or less), zero-padded.
    @inline(__always)
    private static func word(_ p: UnsafeRawPointer, count: Int) -> UInt64 { p.littleEndianWord(count: count) }

    /// Continues `h` over the `count` bytes at `p`, zero-padded to whole blocks, the end included.
    @inline(__always)
    private static func blocks(_ h: UInt64, _ p: UnsafeRawPointer, count: Int, key: Key) -> UInt64 {
        var h = h, at = 0
        repeat {
            h = block(
                h, word(p + at, count: count - at), word(p + at + 8, count: count - at - 8),
                word(p + at + 16, count: count - at - 16), word(p + at + 24, count: count - at - 24), key)
            at += 32
        } while at <= count
        return h
    }

    @inline(__always)
    package static func hash(_ name: UnsafeBufferPointer<UInt8>, key: Key) -> UInt64 {
        // No bytes (a nil base): the one zero block `blocks` would hash.
        guard let base = name.baseAddress else { return finish(block(key.k0, 0, 0, 0, 0, key)) }
        let count = name.count
        if count <= 16 {  // one block, its last two words zero: `block` with its second half known
            let first = word(UnsafeRawPointer(base), count: count)
            let second = word(UnsafeRawPointer(base) + 8, count: count - 8)
            return finish(fold(first ^ s0 ^ key.k0, second ^ s1 ^ key.k1) ^ key.zeroHalf)
        }
        return finish(blocks(key.k0, UnsafeRawPointer(base), count: count, key: key))
    }

    /// The bytes of `w` before its first NUL, and all-ones when `w` has none.
    @inline(__always)
    private static func beforeNUL(_ w: UInt64) -> UInt64 {
        let zeros = (w &- 0x0101_0101_0101_0101) & ~w & 0x8080_8080_8080_8080
        return ((zeros & (0 &- zeros)) >> 7) &- 1
    }

    /// Hashes the NUL-terminated name at `start` (a NUL is known to lie before `end`); also says whether it is empty.
    @inline(__always)
    package static func hashTerminated(
        _ start: UnsafeRawPointer, end: UnsafeRawPointer, key: Key
    ) -> (UInt64, isEmpty: Bool) {
        var h = key.k0
        var p = start
        while end - p >= 32 {
            // A name past ByteString's limit is not a name the index holds (nor can a lookup ask for it).
            guard p - start < ByteString.maximumLength else { return (0, true) }
            let words = Record(UnsafeRawBufferPointer(start: p, count: 32), order: .little)  // 32 bytes before `end`
            let w0 = words.u64(0), w1 = words.u64(8), w2 = words.u64(16), w3 = words.u64(24)
            let m0 = beforeNUL(w0)
            let live1 = 0 &- (m0 >> 63)
            let m1 = beforeNUL(w1) & live1
            let live2 = 0 &- (m1 >> 63)
            let m2 = beforeNUL(w2) & live2
            let live3 = 0 &- (m2 >> 63)
            let m3 = beforeNUL(w3) & live3
            h = block(h, w0 & m0, w1 & m1, w2 & m2, w3 & m3, key)
            if m3 >> 63 == 0 { return (finish(h), p == start && w0 & 0xff == 0) }
            p += 32
        }
        var n = 0
        while p.load(fromByteOffset: n, as: UInt8.self) != 0 { n += 1 }
        return (finish(blocks(h, p, count: n, key: key)), p == start && n == 0)
    }
}
