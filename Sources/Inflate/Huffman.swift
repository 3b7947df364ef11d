/// A canonical Huffman code (RFC 1951, 3.2.2): a table of its codes of at most ``fastBits`` bits,
/// which decodes almost every symbol in one lookup, and the code's counts and symbols in canonical
/// order for the longer codes.
struct Huffman {
    /// The bits a lookup in ``fast`` takes.
    static let fastBits = 9
    /// For each ``fastBits``-bit window of input (its first bit the least significant, as DEFLATE
    /// packs codes), the symbol whose code begins the window and that code's length:
    /// `symbol << 4 | length`; 0 when no code of at most ``fastBits`` bits does.
    let fast: [UInt16]
    /// How many codes each length (1…15) has; index 0 is unused.
    let counts: [Int]
    /// The symbols in code order.
    let symbols: [Int]

    /// The code for `lengths` (a symbol's code length, 0 for an unused symbol; at most 15), or nil
    /// when the lengths over-subscribe the code space. An incomplete code is allowed, as DEFLATE
    /// allows it (a single distance code).
    init?(lengths: ArraySlice<Int>) {
        var counts = [Int](repeating: 0, count: 16)
        for length in lengths { counts[length] += 1 }
        counts[0] = 0
        var left = 1
        for length in 1...15 {
            left <<= 1
            left -= counts[length]
            if left < 0 { return nil }
        }
        // Where each length's symbols start in code order, and each length's first code.
        var offsets = [Int](repeating: 0, count: 16)
        for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
        var next = [Int](repeating: 0, count: 16)
        var code = 0
        for length in 1...15 {
            code = (code + counts[length - 1]) << 1
            next[length] = code
        }
        var symbols = [Int](repeating: 0, count: lengths.count)
        var fast = [UInt16](repeating: 0, count: 1 << Self.fastBits)
        for (symbol, length) in zip(0..., lengths) where length != 0 {
            symbols[offsets[length]] = symbol
            offsets[length] += 1
            let code = next[length]
            next[length] += 1
            guard length <= Self.fastBits else { continue }
            // A code's most significant bit is sent first: reversed, it is the window's low bits,
            // and every window that starts with it decodes to the symbol (no code is a prefix of another).
            var reversed = 0
            for bit in 0..<length where code >> bit & 1 == 1 { reversed |= 1 << (length - 1 - bit) }
            for window in stride(from: reversed, to: 1 << Self.fastBits, by: 1 << length) {
                fast[window] = UInt16(symbol << 4 | length)  // symbol < 288: 13 bits
            }
        }
        (self.fast, self.counts, self.symbols) = (fast, counts, symbols)
    }
}
