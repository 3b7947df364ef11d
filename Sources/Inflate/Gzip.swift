/// DEFLATE (RFC 1951) and gzip (RFC 1952) decompression, in Swift: the library
/// may not link zlib, and `/proc/config.gz` is gzip. Written for small inputs
/// (kernel configs): simple canonical-Huffman decoding, bounded output.
public enum Gzip {
    public enum Failure: Error, Hashable, Sendable, CustomStringConvertible {
        case truncated(at: Int)
        case notGzip
        case unsupportedMethod(UInt8)
        case invalidBlockType(at: Int)
        case invalidStoredLength(at: Int)
        case invalidCode(at: Int)
        case invalidDistance(at: Int)
        case outputTooLarge(limit: Int)
        case checksumMismatch(expected: UInt32, found: UInt32)
        case sizeMismatch(expected: UInt32, found: Int)

        public var description: String {
            switch self {
            case let .truncated(at): "gzip: data ends at byte \(at) inside a stream"
            case .notGzip: "gzip: bad magic"
            case let .unsupportedMethod(m): "gzip: compression method \(m) is not deflate"
            case let .invalidBlockType(at): "deflate: invalid block type at byte \(at)"
            case let .invalidStoredLength(at): "deflate: stored block length check fails at byte \(at)"
            case let .invalidCode(at): "deflate: invalid Huffman code or table at byte \(at)"
            case let .invalidDistance(at): "deflate: distance reaches before the output at byte \(at)"
            case let .outputTooLarge(limit): "deflate: output exceeds \(limit) bytes"
            case let .checksumMismatch(expected, found):
                "gzip: CRC-32 0x\(String(found, radix: 16)) differs from the stored 0x\(String(expected, radix: 16))"
            case let .sizeMismatch(expected, found): "gzip: \(found) bytes inflated, the trailer says \(expected)"
            }
        }
    }

    /// Decompresses a gzip stream (one member), checking its CRC-32 and size; at most `limit` bytes out.
    public static func decompress(_ bytes: [UInt8], limit: Int = 64 << 20) throws(Failure) -> [UInt8] {
        guard bytes.count >= 18 else { throw .truncated(at: bytes.count) }
        guard bytes[0] == 0x1f, bytes[1] == 0x8b else { throw .notGzip }
        guard bytes[2] == 8 else { throw .unsupportedMethod(bytes[2]) }
        let flags = bytes[3]
        var at = 10
        if flags & 0x04 != 0 {  // FEXTRA
            guard at + 2 <= bytes.count else { throw .truncated(at: at) }
            at += 2 + (Int(bytes[at]) | Int(bytes[at + 1]) << 8)
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: NUL-terminated
            while at < bytes.count, bytes[at] != 0 { at += 1 }
            at += 1
        }
        if flags & 0x02 != 0 { at += 2 }  // FHCRC
        guard at <= bytes.count - 8 else { throw .truncated(at: at) }
        var inflater = Inflater(bytes, start: at, limit: limit)
        let output = try inflater.run()
        let trailer = inflater.byteOffset
        guard trailer + 8 <= bytes.count else { throw .truncated(at: trailer) }
        let word = { (i: Int) in
            UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
        }
        let crc = CRC32.checksum(output)
        guard crc == word(trailer) else { throw .checksumMismatch(expected: word(trailer), found: crc) }
        guard UInt32(truncatingIfNeeded: output.count) == word(trailer + 4) else {
            throw .sizeMismatch(expected: word(trailer + 4), found: output.count)
        }
        return output
    }

    /// Inflates a raw DEFLATE stream.
    public static func inflate(_ bytes: [UInt8], limit: Int = 64 << 20) throws(Failure) -> [UInt8] {
        var inflater = Inflater(bytes, start: 0, limit: limit)
        return try inflater.run()
    }
}

/// A canonical Huffman code: how many codes of each length, and the symbols in code order.
struct Huffman {
    var counts = [Int](repeating: 0, count: 16)
    var symbols: [Int]

    /// Builds the code for `lengths` (0: symbol unused); nil when the lengths over-subscribe the code space.
    init?(lengths: ArraySlice<Int>) {
        for l in lengths { counts[l] += 1 }
        counts[0] = 0
        var left = 1
        for length in 1...15 {
            left <<= 1
            left -= counts[length]
            if left < 0 { return nil }
        }
        var offsets = [Int](repeating: 0, count: 16)
        for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
        symbols = [Int](repeating: 0, count: lengths.count)
        for (symbol, length) in lengths.enumerated() where length != 0 {
            symbols[offsets[length]] = symbol
            offsets[length] += 1
        }
    }
}

/// The decoder state: input bits, least significant first, and the output so far.
struct Inflater {
    let input: [UInt8]
    var position: Int
    var bitBuffer = 0
    var bitCount = 0
    let limit: Int
    var output: [UInt8] = []

    init(_ input: [UInt8], start: Int, limit: Int) {
        self.input = input
        position = start
        self.limit = limit
    }

    /// The byte offset after the last byte the stream used.
    var byteOffset: Int { position }

    mutating func bits(_ n: Int) throws(Gzip.Failure) -> Int {
        while bitCount < n {
            guard position < input.count else { throw .truncated(at: position) }
            bitBuffer |= Int(input[position]) << bitCount
            position += 1
            bitCount += 8
        }
        let value = bitBuffer & ((1 << n) - 1)
        bitBuffer >>= n
        bitCount -= n
        return value
    }

    mutating func decode(_ h: Huffman) throws(Gzip.Failure) -> Int {
        var code = 0, first = 0, index = 0
        for length in 1...15 {
            code |= try bits(1)
            let count = h.counts[length]
            if code - count < first { return h.symbols[index + (code - first)] }
            index += count
            first += count
            first <<= 1
            code <<= 1
        }
        throw .invalidCode(at: position)
    }

    static let lengthBase = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
        258,
    ]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
        2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
    ]
    static let distanceExtra = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
    ]

    static let fixed: (Huffman, Huffman) = {
        var lengths = [Int](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        return (Huffman(lengths: lengths[...])!, Huffman(lengths: [Int](repeating: 5, count: 30)[...])!)
    }()

    mutating func run() throws(Gzip.Failure) -> [UInt8] {
        var last = 0
        repeat {
            last = try bits(1)
            switch try bits(2) {
            case 0: try stored()
            case 1: try codes(Self.fixed.0, Self.fixed.1)
            case 2:
                let (literals, distances) = try dynamicTables()
                try codes(literals, distances)
            default: throw .invalidBlockType(at: position)
            }
        } while last == 0
        return output
    }

    mutating func stored() throws(Gzip.Failure) {
        bitBuffer = 0
        bitCount = 0
        guard position + 4 <= input.count else { throw .truncated(at: position) }
        let length = Int(input[position]) | Int(input[position + 1]) << 8
        let complement = Int(input[position + 2]) | Int(input[position + 3]) << 8
        guard length == ~complement & 0xffff else { throw .invalidStoredLength(at: position) }
        position += 4
        guard position + length <= input.count else { throw .truncated(at: position) }
        guard output.count + length <= limit else { throw .outputTooLarge(limit: limit) }
        output += input[position..<position + length]
        position += length
    }

    mutating func dynamicTables() throws(Gzip.Failure) -> (Huffman, Huffman) {
        let literalCount = try bits(5) + 257, distanceCount = try bits(5) + 1, codeCount = try bits(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else { throw .invalidCode(at: position) }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengths = [Int](repeating: 0, count: 19)
        for i in 0..<codeCount { codeLengths[order[i]] = try bits(3) }
        guard let lengthCode = Huffman(lengths: codeLengths[...]) else { throw .invalidCode(at: position) }
        var lengths: [Int] = []
        while lengths.count < literalCount + distanceCount {
            let symbol = try decode(lengthCode)
            switch symbol {
            case 0...15: lengths.append(symbol)
            case 16:
                guard let previous = lengths.last else { throw .invalidCode(at: position) }
                lengths += repeatElement(previous, count: 3 + (try bits(2)))
            case 17: lengths += repeatElement(0, count: 3 + (try bits(3)))
            default: lengths += repeatElement(0, count: 11 + (try bits(7)))
            }
        }
        guard lengths.count == literalCount + distanceCount, lengths[256] != 0,
            let literals = Huffman(lengths: lengths[..<literalCount]),
            let distances = Huffman(lengths: lengths[literalCount...])
        else { throw .invalidCode(at: position) }
        return (literals, distances)
    }

    mutating func codes(_ literals: Huffman, _ distances: Huffman) throws(Gzip.Failure) {
        while true {
            let symbol = try decode(literals)
            if symbol < 256 {
                guard output.count < limit else { throw .outputTooLarge(limit: limit) }
                output.append(UInt8(symbol))
                continue
            }
            if symbol == 256 { return }
            let index = symbol - 257
            guard index < Self.lengthBase.count else { throw .invalidCode(at: position) }
            let length = Self.lengthBase[index] + (try bits(Self.lengthExtra[index]))
            let d = try decode(distances)
            guard d < Self.distanceBase.count else { throw .invalidCode(at: position) }
            let distance = Self.distanceBase[d] + (try bits(Self.distanceExtra[d]))
            guard distance <= output.count else { throw .invalidDistance(at: position) }
            guard output.count + length <= limit else { throw .outputTooLarge(limit: limit) }
            let start = output.count - distance
            for i in 0..<length { output.append(output[start + i]) }
        }
    }
}

/// CRC-32 (IEEE 802.3), as gzip's trailer holds it.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xedb8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xffff_ffff
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xff)] ^ (c >> 8) }
        return c ^ 0xffff_ffff
    }
}
