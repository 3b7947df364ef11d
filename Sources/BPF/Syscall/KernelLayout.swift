import Glibc

/// A kernel structure (`union bpf_attr` for one command, a `bpf_*_info`) held as its bytes.
///
/// The conforming types are generated (KernelLayouts.swift, by Scripts/generate-kernel-layouts.py):
/// each field is a named property at the kernel's offset, checked against the kernel's own C
/// definition by KernelLayoutTests. Offsets appear nowhere else.
protocol KernelLayout: BitwiseCopyable {
    associatedtype Storage: BitwiseCopyable
    /// The structure's size in bytes: what `bpf(2)` is told (the storage may round it up to 8).
    static var size: Int { get }
    /// Zeroed words holding at least `size` bytes.
    var storage: Storage { get set }
    /// All fields zero.
    init()
}

extension KernelLayout {
    /// The structure's bytes (exactly `size`), for the duration of `body`.
    mutating func withUnsafeMutableBytes<R, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        let result = Swift.withUnsafeMutableBytes(of: &storage) { raw in
            Result { () throws(E) -> R in try body(UnsafeMutableRawBufferPointer(rebasing: raw[0..<Self.size])) }
        }
        return try result.get()
    }

    // Accessors for the generated properties. Their offsets are constants that the generator
    // placed inside `size` (and the tests check), so the bounds hold by construction.

    func load<T: FixedWidthInteger & BitwiseCopyable>(_ offset: Int, as _: T.Type = T.self) -> T {
        Swift.withUnsafeBytes(of: storage) { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }

    mutating func store<T: FixedWidthInteger & BitwiseCopyable>(_ value: T, at offset: Int) {
        Swift.withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: value, toByteOffset: offset, as: T.self) }
    }

    /// A bitfield of the 32-bit word at `offset`.
    func bits(_ offset: Int, from low: Int, count: Int) -> UInt32 {
        (load(offset, as: UInt32.self) >> low) & (count == 32 ? .max : (1 << count) - 1)
    }

    mutating func setBits(_ value: UInt32, at offset: Int, from low: Int, count: Int) {
        let mask: UInt32 = (count == 32 ? .max : (1 << count) - 1) << low
        store(load(offset, as: UInt32.self) & ~mask | (value << low) & mask, at: offset)
    }

    /// A NUL-padded character array as text (up to its first NUL).
    func string(_ offset: Int, count: Int) -> String {
        String(decoding: bytes(offset, count: count).prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Stores `value` NUL-padded, truncated to `count - 1` bytes so that a NUL always ends it.
    mutating func setString(_ value: String, at offset: Int, count: Int) {
        var text = value  // withUTF8 may make a copy contiguous; the caller's string stays as it is
        text.withUTF8 { utf8 in
            Swift.withUnsafeMutableBytes(of: &storage) { raw in
                let field = Self.field(raw, offset, count)
                let stored = max(0, min(utf8.count, count - 1))
                field.copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[..<stored]))
                memset(field.baseAddress.unsafelyUnwrapped + stored, 0, count - stored)
            }
        }
    }

    func bytes(_ offset: Int, count: Int) -> [UInt8] {
        Swift.withUnsafeBytes(of: storage) { Array($0[offset..<offset + count]) }
    }

    /// Stores `value`'s first `count` bytes, zero-padded.
    mutating func setBytes(_ value: [UInt8], at offset: Int, count: Int) {
        Swift.withUnsafeMutableBytes(of: &storage) { raw in
            let field = Self.field(raw, offset, count)
            let stored = min(value.count, count)
            value.withUnsafeBytes { field.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[..<stored])) }
            memset(field.baseAddress.unsafelyUnwrapped + stored, 0, count - stored)
        }
    }

    /// The `count` bytes at `offset` of a layout's storage, checked to lie inside it (release builds too).
    private static func field(
        _ raw: UnsafeMutableRawBufferPointer, _ offset: Int, _ count: Int
    )
        -> UnsafeMutableRawBufferPointer
    {
        precondition(offset >= 0 && count >= 0 && count <= raw.count - offset, "layout field outside its storage")
        return UnsafeMutableRawBufferPointer(rebasing: raw[offset..<offset + count])
    }
}
