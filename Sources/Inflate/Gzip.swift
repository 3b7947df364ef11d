/// DEFLATE (RFC 1951) and gzip (RFC 1952) decompression, in Swift: the library
/// may not link zlib, and `/proc/config.gz` is gzip. Table-driven Huffman decoding (one lookup
/// for almost every symbol), a 64-bit bit buffer, output bounded by a limit.
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

    /// Decompresses a gzip stream (one member), checking its CRC-32 and size; at most `limit` bytes
    /// out. The array is a copy of the inflated bytes (twice the output at the peak);
    /// ``withDecompressed(_:limit:_:)`` reads them in place.
    public static func decompress(_ bytes: [UInt8], limit: Int = 64 << 20) throws(Failure) -> [UInt8] {
        try withDecompressed(bytes, limit: limit) { Array($0) }
    }

    /// ``decompress(_:limit:)``'s bytes handed to `body` in place, without a copy (valid only during the call).
    public static func withDecompressed<R>(
        _ bytes: [UInt8], limit: Int = 64 << 20, _ body: (UnsafeBufferPointer<UInt8>) -> R
    ) throws(Failure) -> R {
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
        // The trailer's size, when the stream can make it (DEFLATE expands at most 1032:1), sizes the output.
        let stated =
            Int(bytes[bytes.count - 4]) | Int(bytes[bytes.count - 3]) << 8
            | Int(bytes[bytes.count - 2]) << 16 | Int(bytes[bytes.count - 1]) << 24
        var inflater = Inflater(bytes, start: at, limit: limit, expected: min(stated, 1032 * (bytes.count - at)))
        try inflater.run()
        let trailer = inflater.byteOffset
        guard trailer + 8 <= bytes.count else { throw .truncated(at: trailer) }
        let word = { (i: Int) in
            UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
        }
        return try inflater.withOutput { (output) throws(Failure) -> R in
            let crc = CRC32.checksum(output)
            guard crc == word(trailer) else { throw .checksumMismatch(expected: word(trailer), found: crc) }
            guard UInt32(truncatingIfNeeded: output.count) == word(trailer + 4) else {
                throw .sizeMismatch(expected: word(trailer + 4), found: output.count)
            }
            return body(output)
        }
    }

    /// Inflates a raw DEFLATE stream.
    public static func inflate(_ bytes: [UInt8], limit: Int = 64 << 20) throws(Failure) -> [UInt8] {
        var inflater = Inflater(bytes, start: 0, limit: limit, expected: 4 * bytes.count)
        try inflater.run()
        return inflater.withOutput { Array($0) }
    }
}
