import BPFObject

/// The bytes of one global data section as a generated skeleton's views read and write them:
/// before load a private copy (which the skeleton's `load` puts into the object), after load the
/// live mapping of the section's map (kept alive by this value). Offsets come from the generated
/// code, which checked them against the object when it was opened; an access outside the section
/// is a generator bug and traps rather than touching other memory.
public final class GlobalSection {
    /// The ELF section, e.g. `.bss`.
    public let name: String
    public let size: Int
    /// False for a frozen `.rodata` mapping: the generated read-only views have no setters.
    public let isWritable: Bool
    private let base: UnsafeMutableRawPointer
    /// What keeps `base` valid: nil when this value owns the allocation, the mapping otherwise.
    private let owner: AnyObject?

    /// A private, writable copy of `bytes` (the section's initial contents, zero-filled to `size`).
    public init(name: String, copying bytes: [UInt8], size: Int) {
        self.name = name
        self.size = size
        isWritable = true
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(size, 1), alignment: 16)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: max(size, 1))
        let count = min(size, bytes.count)
        bytes.withUnsafeBytes { if let source = $0.baseAddress { memory.copyMemory(from: source, byteCount: count) } }
        base = memory
        owner = nil
    }

    init(name: String, mapping base: UnsafeMutableRawPointer, size: Int, writable: Bool, owner: AnyObject) {
        (self.name, self.base, self.size, isWritable, self.owner) = (name, base, size, writable, owner)
    }

    deinit { if owner == nil { base.deallocate() } }

    /// The current bytes of the whole section.
    public var bytes: [UInt8] { Array(UnsafeRawBufferPointer(start: base, count: size)) }

    /// `count` bytes at `offset`.
    public func bytes(at offset: Int, count: Int) -> [UInt8] {
        withRange(offset, count) { Array(UnsafeRawBufferPointer(start: $0, count: count)) }
    }

    /// Overwrites the `count` bytes at `offset` with `bytes`, zero-filled or cut to `count`.
    public func setBytes(_ bytes: [UInt8], at offset: Int, count: Int) {
        precondition(isWritable, "store into the read-only section \(name)")
        withRange(offset, count) { target in
            target.initializeMemory(as: UInt8.self, repeating: 0, count: count)
            bytes.prefix(count).withUnsafeBytes {
                if let source = $0.baseAddress { target.copyMemory(from: source, byteCount: $0.count) }
            }
        }
    }

    /// The `T` at byte `offset`.
    @inlinable
    public func load<T: BitwiseCopyable>(_: T.Type, at offset: Int) -> T {
        withRange(offset, MemoryLayout<T>.size) { $0.loadUnaligned(as: T.self) }
    }

    /// Stores `value` at byte `offset` (a writable section only).
    @inlinable
    public func store<T: BitwiseCopyable>(_ value: T, at offset: Int) {
        precondition(isWritable, "store into the read-only section \(name)")
        withRange(offset, MemoryLayout<T>.size) { $0.storeBytes(of: value, as: T.self) }
    }

    @usableFromInline
    func withRange<R>(_ offset: Int, _ count: Int, _ body: (UnsafeMutableRawPointer) -> R) -> R {
        precondition(offset >= 0 && count >= 0 && offset <= size - count, "access outside section \(name)")
        return body(base + offset)
    }
}
