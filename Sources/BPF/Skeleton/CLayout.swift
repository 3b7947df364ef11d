/// A C type as a generated skeleton lays it out: its bytes, exactly the C size, held inline
/// (`raw`), with each member read and written at its BTF offset. No Swift layout rule is trusted
/// to match C's: a struct, union, bitfield, packed or over-aligned type is correct by construction.
public protocol CLayout: BitwiseCopyable {
    associatedtype Raw: BitwiseCopyable
    var raw: Raw { get set }
}

extension CLayout {
    /// The `T` at byte `offset` of the value.
    @inlinable
    public func load<T: BitwiseCopyable>(_: T.Type, at offset: Int) -> T {
        withUnsafeBytes(of: raw) { bytes in
            precondition(offset >= 0 && offset <= bytes.count - MemoryLayout<T>.size, "member outside its type")
            return bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        }
    }

    /// Stores `value` at byte `offset` of the value.
    @inlinable
    public mutating func store<T: BitwiseCopyable>(_ value: T, at offset: Int) {
        withUnsafeMutableBytes(of: &raw) { bytes in
            precondition(offset >= 0 && offset <= bytes.count - MemoryLayout<T>.size, "member outside its type")
            bytes.storeBytes(of: value, toByteOffset: offset, as: T.self)
        }
    }

    /// The `bits`-bit field at bit `bitOffset` (little-endian bit numbering, as BTF on x86-64 and
    /// arm64), zero- or sign-extended.
    @inlinable
    public func bits(at bitOffset: Int, count bits: Int, signed: Bool) -> UInt64 {
        withUnsafeBytes(of: raw) { bytes in
            var value: UInt64 = 0
            for i in 0..<bits {
                let bit = bitOffset + i
                guard bit / 8 < bytes.count else { break }
                value |= UInt64(bytes[bit / 8] >> UInt8(bit % 8) & 1) << UInt64(i)
            }
            if signed, bits > 0, bits < 64, value >> UInt64(bits - 1) & 1 == 1 { value |= ~0 << UInt64(bits) }
            return value
        }
    }

    /// Stores the low `bits` bits of `value` at bit `bitOffset`, leaving the neighbouring bits.
    @inlinable
    public mutating func setBits(_ value: UInt64, at bitOffset: Int, count bits: Int) {
        withUnsafeMutableBytes(of: &raw) { bytes in
            for i in 0..<bits {
                let bit = bitOffset + i
                guard bit / 8 < bytes.count else { break }
                let mask = UInt8(1) << UInt8(bit % 8)
                bytes[bit / 8] = value >> UInt64(i) & 1 == 1 ? bytes[bit / 8] | mask : bytes[bit / 8] & ~mask
            }
        }
    }
}
