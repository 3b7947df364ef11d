import Glibc

/// The DEFLATE decoder: input bits least significant first, in a 64-bit buffer refilled eight
/// bytes at a time (a byte at a time near the input's end), and the output so far.
struct Inflater: ~Copyable {
    private let input: [UInt8]
    /// The next byte to load into the bit buffer.
    private var position: Int
    /// Loaded bits not yet used, the next one lowest. Bits above `bitCount` are the input's next
    /// bits (a word load takes whole bytes past those it counts) or, past its end, zero.
    private var bitBuffer: UInt64 = 0
    private var bitCount = 0
    private let limit: Int
    private let outputBuffer: OutputBuffer

    /// Decodes `input` from byte `start`, at most `limit` bytes out; `expected` (bounded by the
    /// limit) sizes the output's first allocation.
    init(_ input: [UInt8], start: Int, limit: Int, expected: Int) {
        self.input = input
        position = start
        self.limit = limit
        outputBuffer = OutputBuffer(capacity: min(max(expected, 64), max(limit, 1)), limit: limit)
    }

    /// The byte offset after the last byte the stream used (one partly used counts).
    var byteOffset: Int { position - bitCount / 8 }

    /// Loads input until at least 56 bits are buffered or the input ends.
    @inline(__always)
    private mutating func refill() {
        if input.count - position >= 8 {
            // Eight bytes at once; those past the whole bytes counted are loaded again, to the same bits.
            let word = input.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position, as: UInt64.self) }
            bitBuffer |= UInt64(littleEndian: word) << UInt64(bitCount)
            let bytes = (63 - bitCount) >> 3
            position += bytes
            bitCount += bytes << 3
            return
        }
        refillBytes()
    }

    /// ``refill()`` near the input's end, a byte at a time.
    @inline(never)
    private mutating func refillBytes() {
        while bitCount <= 56, position < input.count {
            bitBuffer |= UInt64(input[position]) << UInt64(bitCount)
            position += 1
            bitCount += 8
        }
    }

    @inline(__always)
    private mutating func consume(_ n: Int) {
        bitBuffer >>= UInt64(n)
        bitCount -= n
    }

    /// The next `n` bits (at most 16) as a number, the first one lowest.
    @inline(__always)
    mutating func bits(_ n: Int) throws(Gzip.Failure) -> Int {
        if bitCount < n {
            refill()
            guard bitCount >= n else { throw .truncated(at: position) }  // the input is used up
        }
        let value = Int(truncatingIfNeeded: bitBuffer) & (1 << n - 1)
        consume(n)
        return value
    }

    /// The next symbol of `code`: one table lookup for a code of at most ``Huffman/fastBits``.
    @inline(__always)
    mutating func decode(_ code: Huffman) throws(Gzip.Failure) -> Int {
        if bitCount < 15 { refill() }  // after it, fewer than 15 bits means the input is used up
        let entry = Int(code.fast[Int(truncatingIfNeeded: bitBuffer) & (1 << Huffman.fastBits - 1)])
        if entry != 0, entry & 15 <= bitCount {
            consume(entry & 15)
            return entry >> 4
        }
        return try decodeLonger(code, entry: entry)
    }

    /// A code longer than the table's (or none, or past the input's end): canonically, a bit at a
    /// time (as zlib's puff), once the table said no.
    @inline(never)
    private mutating func decodeLonger(_ code: Huffman, entry: Int) throws(Gzip.Failure) -> Int {
        guard entry == 0 else { throw .truncated(at: position) }  // a whole code needs more bits
        var value = 0, first = 0, index = 0
        for length in 1...15 {
            guard length <= bitCount else { throw .truncated(at: position) }
            value |= Int(truncatingIfNeeded: bitBuffer >> UInt64(length - 1)) & 1
            let count = code.counts[length]
            if value - count < first {
                consume(length)
                return code.symbols[index + (value - first)]
            }
            index += count
            first += count
            first <<= 1
            value <<= 1
        }
        consume(15)
        throw .invalidCode(at: byteOffset)
    }

    /// Length codes 257…285 (RFC 1951, 3.2.5): `base << 3 | extra bits`, one table for both.
    private static let lengthCodes: [UInt16] = [
        3 << 3, 4 << 3, 5 << 3, 6 << 3, 7 << 3, 8 << 3, 9 << 3, 10 << 3, 11 << 3 | 1, 13 << 3 | 1, 15 << 3 | 1,
        17 << 3 | 1, 19 << 3 | 2, 23 << 3 | 2, 27 << 3 | 2, 31 << 3 | 2, 35 << 3 | 3, 43 << 3 | 3, 51 << 3 | 3,
        59 << 3 | 3, 67 << 3 | 4, 83 << 3 | 4, 99 << 3 | 4, 115 << 3 | 4, 131 << 3 | 5, 163 << 3 | 5, 195 << 3 | 5,
        227 << 3 | 5, 258 << 3,
    ]
    /// Distance codes 0…29: `base << 4 | extra bits`.
    private static let distanceCodes: [UInt32] = [
        1 << 4, 2 << 4, 3 << 4, 4 << 4, 5 << 4 | 1, 7 << 4 | 1, 9 << 4 | 2, 13 << 4 | 2, 17 << 4 | 3, 25 << 4 | 3,
        33 << 4 | 4, 49 << 4 | 4, 65 << 4 | 5, 97 << 4 | 5, 129 << 4 | 6, 193 << 4 | 6, 257 << 4 | 7, 385 << 4 | 7,
        513 << 4 | 8, 769 << 4 | 8, 1025 << 4 | 9, 1537 << 4 | 9, 2049 << 4 | 10, 3073 << 4 | 10, 4097 << 4 | 11,
        6145 << 4 | 11, 8193 << 4 | 12, 12289 << 4 | 12, 16385 << 4 | 13, 24577 << 4 | 13,
    ]

    /// The fixed codes of block type 1.
    private static let fixed: (literals: Huffman, distances: Huffman) = {
        var lengths = [Int](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        return (Huffman(lengths: lengths[...])!, Huffman(lengths: [Int](repeating: 5, count: 30)[...])!)
    }()

    /// Calls `body` with the bytes inflated so far, in place (valid only during the call).
    func withOutput<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        let result = try body(outputBuffer.bytes)
        withExtendedLifetime(outputBuffer) {}
        return result
    }

    /// Decodes blocks up to the last one.
    mutating func run() throws(Gzip.Failure) {
        var last = 0
        repeat {
            last = try bits(1)
            switch try bits(2) {
            case 0: try stored()
            case 1: try codes(Self.fixed.literals, Self.fixed.distances)
            case 2:
                let (literals, distances) = try dynamicTables()
                try codes(literals, distances)
            default: throw .invalidBlockType(at: byteOffset)
            }
        } while last == 0
    }

    /// A stored block: the rest of the current byte dropped, then a length, its complement and the bytes.
    private mutating func stored() throws(Gzip.Failure) {
        position = byteOffset  // whole bytes loaded but not used go back to the input
        (bitBuffer, bitCount) = (0, 0)
        guard position + 4 <= input.count else { throw .truncated(at: position) }
        let length = Int(input[position]) | Int(input[position + 1]) << 8
        let complement = Int(input[position + 2]) | Int(input[position + 3]) << 8
        guard length == ~complement & 0xffff else { throw .invalidStoredLength(at: position) }
        position += 4
        guard position + length <= input.count else { throw .truncated(at: position) }
        guard outputBuffer.count + length <= limit else { throw .outputTooLarge(limit: limit) }
        let start = position
        input.withUnsafeBufferPointer { outputBuffer.append(UnsafeBufferPointer(rebasing: $0[start..<start + length])) }
        position += length
    }

    private mutating func dynamicTables() throws(Gzip.Failure) -> (Huffman, Huffman) {
        let literalCount = try bits(5) + 257, distanceCount = try bits(5) + 1, codeCount = try bits(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else { throw .invalidCode(at: byteOffset) }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengths = [Int](repeating: 0, count: 19)
        for i in 0..<codeCount { codeLengths[order[i]] = try bits(3) }
        guard let lengthCode = Huffman(lengths: codeLengths[...]) else { throw .invalidCode(at: byteOffset) }
        var lengths: [Int] = []
        lengths.reserveCapacity(literalCount + distanceCount + 138)
        while lengths.count < literalCount + distanceCount {
            let symbol = try decode(lengthCode)
            switch symbol {
            case 0...15: lengths.append(symbol)
            case 16:
                guard let previous = lengths.last else { throw .invalidCode(at: byteOffset) }
                lengths += repeatElement(previous, count: 3 + (try bits(2)))
            case 17: lengths += repeatElement(0, count: 3 + (try bits(3)))
            default: lengths += repeatElement(0, count: 11 + (try bits(7)))
            }
        }
        guard lengths.count == literalCount + distanceCount, lengths[256] != 0,
            let literals = Huffman(lengths: lengths[..<literalCount]),
            let distances = Huffman(lengths: lengths[literalCount...])
        else { throw .invalidCode(at: byteOffset) }
        return (literals, distances)
    }

    private mutating func codes(_ literals: Huffman, _ distances: Huffman) throws(Gzip.Failure) {
        while true {
            let symbol = try decode(literals)
            if symbol < 256 {
                guard outputBuffer.count < limit else { throw .outputTooLarge(limit: limit) }
                outputBuffer.append(UInt8(truncatingIfNeeded: symbol))
                continue
            }
            if symbol == 256 { return }
            let index = symbol - 257
            guard index < Self.lengthCodes.count else { throw .invalidCode(at: byteOffset) }
            let lengthCode = Int(Self.lengthCodes[index])
            let length = lengthCode >> 3 + (try bits(lengthCode & 7))  // bits(0) is 0
            let d = try decode(distances)
            guard d < Self.distanceCodes.count else { throw .invalidCode(at: byteOffset) }
            let distanceCode = Int(Self.distanceCodes[d])
            let distance = distanceCode >> 4 + (try bits(distanceCode & 15))
            guard distance <= outputBuffer.count else { throw .invalidDistance(at: byteOffset) }
            guard outputBuffer.count + length <= limit else { throw .outputTooLarge(limit: limit) }
            outputBuffer.appendCopy(distance: distance, length: length)
        }
    }
}

/// The inflated bytes: one allocation, grown by doubling but never past the limit (each append is
/// checked against it first) with `realloc`, which moves a large block's pages rather than copying
/// them (no second buffer at the peak), freed with the decoder.
private final class OutputBuffer {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private let limit: Int
    private(set) var count = 0

    init(capacity: Int, limit: Int) {
        self.capacity = max(capacity, 1)
        self.limit = limit
        base = Self.reallocate(nil, self.capacity)
    }

    deinit { free(base) }

    /// `block` (nil: none yet) resized to `size` bytes, its contents kept.
    private static func reallocate(_ block: UnsafeMutablePointer<UInt8>?, _ size: Int) -> UnsafeMutablePointer<UInt8> {
        guard let grown = realloc(block, size) else { fatalError("out of memory: \(size) bytes of inflated output") }
        return grown.bindMemory(to: UInt8.self, capacity: size)
    }

    /// The bytes, valid while the buffer lives and grows no more.
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    @inline(__always)
    private func reserve(_ needed: Int) {
        if needed > capacity { grow(to: needed) }
    }

    private func grow(to needed: Int) {
        let size = max(needed, min(2 * capacity, limit))
        base = Self.reallocate(base, size)
        capacity = size
    }

    @inline(__always)
    func append(_ byte: UInt8) {
        if count == capacity { reserve(count + 1) }
        base[count] = byte
        count += 1
    }

    func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(count + bytes.count)
        if let source = bytes.baseAddress { (base + count).initialize(from: source, count: bytes.count) }
        count += bytes.count
    }

    /// Appends `length` bytes copied from `distance` bytes back (1 ≤ `distance` ≤ ``count``); when
    /// `distance` < `length` the copy repeats the bytes it is making, as LZ77 means.
    @inline(__always)
    func appendCopy(distance: Int, length: Int) {
        precondition(distance >= 1 && distance <= count && length >= 0, "copy from before the output")
        reserve(count + length)
        let to = base + count, from = to - distance
        if distance >= length {
            to.initialize(from: from, count: length)  // the regions do not overlap
        } else {
            for i in 0..<length { to[i] = from[i] }
        }
        count += length
    }
}
