import ELF64

/// The string section of a BTF blob, continued from its base's for split BTF.
///
/// Both sections are known to start and end with NUL, so any offset inside
/// them names a terminated string.
public struct StringSection: @unchecked Sendable {
    let own: UnsafeRawBufferPointer
    let base: UnsafeRawBufferPointer

    /// The total size of the offset space (base and own).
    var size: Int { base.count + own.count }

    func contains(_ offset: UInt32) -> Bool { Int(offset) < size }

    /// The string at `offset`; offset 0 is the empty name. `nil` when out of range.
    func string(at offset: UInt32) -> ByteString? {
        let offset = Int(offset)
        if offset < base.count { return ByteString(in: base, at: UInt64(offset)) }
        return ByteString(in: own, at: UInt64(offset - base.count))
    }
}
