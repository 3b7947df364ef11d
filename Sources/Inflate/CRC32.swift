/// CRC-32 (IEEE 802.3), as gzip's trailer holds it, eight bytes a step (slicing-by-8).
enum CRC32 {
    /// Table k (of 8, 256 entries each) gives the CRC contribution of a byte followed by k zero bytes.
    static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xedb8_8320 ^ (c >> 1) : c >> 1 }
            tables[n] = c
        }
        for n in 0..<256 {
            var c = tables[n]
            for k in 1..<8 {
                c = tables[Int(c & 0xff)] ^ (c >> 8)
                tables[k * 256 + n] = c
            }
        }
        return tables
    }()

    static func checksum(_ b: UnsafeBufferPointer<UInt8>) -> UInt32 {
        tables.withUnsafeBufferPointer { t in
            var c: UInt32 = 0xffff_ffff
            var i = 0
            while b.count - i >= 8 {
                let low = c ^ (UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24)
                c =
                    t[7 * 256 + Int(low & 0xff)] ^ t[6 * 256 + Int(low >> 8 & 0xff)]
                    ^ t[5 * 256 + Int(low >> 16 & 0xff)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(b[i + 4])] ^ t[2 * 256 + Int(b[i + 5])]
                    ^ t[256 + Int(b[i + 6])] ^ t[Int(b[i + 7])]
                i += 8
            }
            while i < b.count {
                c = t[Int((c ^ UInt32(b[i])) & 0xff)] ^ (c >> 8)
                i += 1
            }
            return c ^ 0xffff_ffff
        }
    }
}
