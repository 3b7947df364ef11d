/// The one place where file bytes become integers.
///
/// A `ByteReader` is a window on bytes it does not own, read in one byte order.
/// Every offset and size that comes from a file is checked here, with
/// overflow-safe arithmetic, when a ``Record`` or a slice is taken; reads
/// inside a record are then free of checks, so a hot loop checks once per
/// record rather than once per field.
public struct ByteReader: @unchecked Sendable {
    /// The bytes read; they must outlive the reader and everything taken from it.
    public let bytes: UnsafeRawBufferPointer
    /// The byte order of every multi-byte read.
    public let order: ByteOrder

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, order: ByteOrder) {
        self.bytes = bytes
        self.order = order
    }

    /// The number of bytes in the window.
    @inlinable public var count: Int { bytes.count }

    /// Whether `size` bytes starting at `offset` lie inside the window.
    @inlinable
    public func contains(offset: UInt64, size: UInt64) -> Bool {
        let (end, overflow) = offset.addingReportingOverflow(size)
        return !overflow && end <= UInt64(bytes.count)
    }

    /// The `size` bytes at `offset`, or `nil` when any of them lies outside the window.
    @inlinable
    public func slice(offset: UInt64, size: UInt64) -> UnsafeRawBufferPointer? {
        guard contains(offset: offset, size: size) else { return nil }
        guard size > 0, let base = bytes.baseAddress else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + Int(offset), count: Int(size))
    }

    /// A record of `size` bytes at `offset`, or `nil` when it does not fit.
    @inlinable
    public func record(at offset: UInt64, size: Int) -> Record? {
        guard size >= 0, let slice = slice(offset: offset, size: UInt64(size)) else { return nil }
        return Record(slice, order: order)
    }

    /// A reader over a sub-range, in the same byte order, or `nil` when it does not fit.
    @inlinable
    public func subReader(offset: UInt64, size: UInt64) -> ByteReader? {
        slice(offset: offset, size: size).map { ByteReader($0, order: order) }
    }
}

/// A run of bytes already known to lie inside the input: the one place whose reads are unchecked.
///
/// Offsets passed to its accessors are constants of a format's layout, or offsets its maker proved
/// in range before making it (ELF64's section table on open, BTF's index pass, BTF.ext's record
/// count), named at the use. They are checked in debug builds only, in `uncheckedLoad(_:as:)`.
public struct Record: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    public let order: ByteOrder

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, order: ByteOrder) {
        self.bytes = bytes
        self.order = order
    }

    /// The raw bytes of a `T` at `offset`, in file order. Every read of a word from input goes
    /// through here. Precondition (asserted in debug builds, unchecked in release): the `T` lies
    /// inside ``bytes``, which the record's maker proved.
    @inlinable @inline(__always)
    func uncheckedLoad<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
        assert(offset >= 0 && offset <= bytes.count - MemoryLayout<T>.size, "record field outside record")
        return bytes.baseAddress.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: T.self)
    }

    @inlinable @inline(__always)
    func load<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
        let raw = uncheckedLoad(offset, as: T.self)
        return order == .little ? T(littleEndian: raw) : T(bigEndian: raw)
    }

    @inlinable public func u8(_ offset: Int) -> UInt8 { load(offset, as: UInt8.self) }
    @inlinable public func u16(_ offset: Int) -> UInt16 { load(offset, as: UInt16.self) }
    @inlinable public func u32(_ offset: Int) -> UInt32 { load(offset, as: UInt32.self) }
    @inlinable public func u64(_ offset: Int) -> UInt64 { load(offset, as: UInt64.self) }
    @inlinable public func i32(_ offset: Int) -> Int32 { load(offset, as: Int32.self) }
    @inlinable public func i64(_ offset: Int) -> Int64 { load(offset, as: Int64.self) }

    /// The 32-bit word at `offset` in the byte order `Order` fixes at compile time (``order`` is
    /// not consulted): a hot loop specialised on `Order` carries no branch per word.
    @inlinable @inline(__always)
    public func u32<Order: WordOrder>(_ offset: Int, _: Order.Type) -> UInt32 {
        let raw = uncheckedLoad(offset, as: UInt32.self)
        return Order.isSwapped ? raw.byteSwapped : raw
    }

    /// The 64-bit word at `offset` in the byte order `Order` (as ``u32(_:_:)``).
    @inlinable @inline(__always)
    public func u64<Order: WordOrder>(_ offset: Int, _: Order.Type) -> UInt64 {
        let raw = uncheckedLoad(offset, as: UInt64.self)
        return Order.isSwapped ? raw.byteSwapped : raw
    }

    /// The `size` bytes at `offset` as a record of their own (the same precondition as a read).
    @inlinable
    public func record(at offset: Int, size: Int) -> Record {
        assert(offset >= 0 && size >= 0 && offset <= bytes.count - size, "record outside record")
        return Record(UnsafeRawBufferPointer(start: bytes.baseAddress.map { $0 + offset }, count: size), order: order)
    }
}

/// A byte order fixed at compile time, for loops specialised on it (``Record/u32(_:_:)``).
public protocol WordOrder {
    /// Whether words in this order are byte-swapped relative to the host.
    static var isSwapped: Bool { get }
}

/// Words in the host's byte order.
public enum HostOrder: WordOrder {
    @inlinable public static var isSwapped: Bool { false }
}

/// Words in the other byte order.
public enum SwappedOrder: WordOrder {
    @inlinable public static var isSwapped: Bool { true }
}
