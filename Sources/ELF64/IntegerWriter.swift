/// Appends integers in one byte order.
public struct IntegerWriter: Sendable {
    public let order: ByteOrder
    public var bytes: [UInt8] = []

    @inlinable public init(order: ByteOrder) { self.order = order }

    @inlinable
    public mutating func put<T: FixedWidthInteger>(_ value: T) {
        let v = order == .little ? value.littleEndian : value.bigEndian
        withUnsafeBytes(of: v) { raw in
            for byte in raw { bytes.append(byte) }  // a few bytes: cheaper than a generic append
        }
    }

    /// Pads with zeros to a multiple of `alignment`.
    @inlinable
    public mutating func align(to alignment: Int) {
        let padding = (alignment - bytes.count % alignment) % alignment
        bytes += repeatElement(0, count: padding)
    }

    /// Overwrites the bytes at `offset` with `value`.
    @inlinable
    public mutating func patch<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        let v = order == .little ? value.littleEndian : value.bigEndian
        withUnsafeBytes(of: v) { raw in
            for (i, b) in raw.enumerated() { bytes[offset + i] = b }
        }
    }
}

/// Writes integers in one byte order into bytes already made, at a cursor: a store and an
/// addition per integer, no capacity or uniqueness check (``IntegerWriter`` pays both for every
/// byte). Made by `Array.appendIntegers(count:order:_:)` over the bytes it appends.
public struct IntegerStore {
    public let order: ByteOrder
    @usableFromInline let memory: UnsafeMutableRawBufferPointer
    /// Where the next integer goes.
    @usableFromInline var cursor = 0

    @inlinable init(order: ByteOrder, memory: UnsafeMutableRawBufferPointer) {
        self.order = order
        self.memory = memory
    }

    /// Stores `value` at the cursor and moves past it; traps past the bytes made.
    @inlinable
    public mutating func put<T: FixedWidthInteger>(_ value: T) {
        let size = MemoryLayout<T>.size
        precondition(memory.count - cursor >= size, "integer past the bytes made")
        memory.storeBytes(of: order == .little ? value.littleEndian : value.bigEndian, toByteOffset: cursor, as: T.self)
        cursor += size
    }
}

extension Array where Element == UInt8 {
    /// Appends `count` bytes, zeros, then lets `body` store integers of `order` into them from
    /// their start (what it leaves stays zero).
    @inlinable
    public mutating func appendIntegers(count: Int, order: ByteOrder, _ body: (inout IntegerStore) -> Void) {
        let start = self.count
        append(contentsOf: repeatElement(0, count: count))
        withUnsafeMutableBytes { raw in
            var store = IntegerStore(order: order, memory: UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
            body(&store)
        }
    }
}
