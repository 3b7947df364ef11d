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

    /// Whether the string at `offset` is `name`, compared in place (no search for its end).
    func hasString(_ name: ByteString, at offset: UInt32) -> Bool {
        var at = Int(offset)
        let section: UnsafeRawBufferPointer
        if at < base.count { section = base } else { (section, at) = (own, at - base.count) }
        let count = name.utf8.count
        guard at + count < section.count, section[at + count] == 0 else { return false }
        return ByteString(UnsafeBufferPointer(rebasing: section.assumingMemoryBound(to: UInt8.self)[at..<at + count]))
            == name
    }

    /// The string at `offset`; offset 0 is the empty name. `nil` when out of range.
    func string(at offset: UInt32) -> ByteString? {
        let offset = Int(offset)
        if offset < base.count { return ByteString(in: base, at: UInt64(offset)) }
        return ByteString(in: own, at: UInt64(offset - base.count))
    }
}
