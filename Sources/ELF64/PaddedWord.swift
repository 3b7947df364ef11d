extension UnsafeRawPointer {
    /// The little-endian word of the `count` bytes here (at most 8 are read, none when `count` is
    /// 0 or less), zero-padded: two overlapping loads for 4 to 7 bytes, three byte loads for 1 to
    /// 3: no loop, and nothing read past the bytes.
    @inlinable @inline(__always)
    public func littleEndianWord(count: Int) -> UInt64 {
        if count >= 8 { return UInt64(littleEndian: loadUnaligned(as: UInt64.self)) }
        if count >= 4 {
            let low = UInt64(UInt32(littleEndian: loadUnaligned(as: UInt32.self)))
            let high = UInt64(UInt32(littleEndian: loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)))
            return low | high << (8 * UInt64(count - 4))
        }
        guard count > 0 else { return 0 }
        let first = UInt64(load(as: UInt8.self))
        let middle = UInt64(load(fromByteOffset: count / 2, as: UInt8.self))
        let last = UInt64(load(fromByteOffset: count - 1, as: UInt8.self))
        return first | middle << (8 * UInt64(count / 2)) | last << (8 * UInt64(count - 1))
    }
}
