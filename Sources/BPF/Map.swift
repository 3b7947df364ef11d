import BPFObject
import Glibc

/// A map in the kernel, and the operations on its entries. Every operation checks the caller's
/// key and value sizes against the map's before the call, so the kernel is never handed a buffer
/// shorter than what it reads or writes. The descriptor is closed when the last reference goes.
public final class Map: Sendable {
    public let name: String
    public let type: MapType
    /// `key_size` (0 for queues, stacks and bloom filters, which take no key).
    public let keySize: Int
    /// One value's size (`value_size`); per-CPU maps hold one per possible CPU.
    public let valueSize: Int
    public let maxEntries: UInt32
    public let flags: UInt32
    /// The map's descriptor, for as long as this map lives: borrow it.
    public let descriptor: FileDescriptor

    init(
        name: String, type: MapType, keySize: Int, valueSize: Int, maxEntries: UInt32, flags: UInt32,
        descriptor: consuming FileDescriptor
    ) {
        self.name = name
        self.type = type
        self.keySize = keySize
        self.valueSize = valueSize
        self.maxEntries = maxEntries
        self.flags = flags
        self.descriptor = descriptor
    }

    /// A map already in the kernel, by id.
    public convenience init(id: UInt32) throws(SyscallError) {
        try self.init(opened: try KernelObjectIDs.open(.map, id: id))
    }

    /// A map pinned on a bpffs.
    public convenience init(pinnedAt path: String) throws(SyscallError) {
        try self.init(opened: try KernelObjectIDs.open(pinned: path))
    }

    /// A map behind a descriptor this takes over, described by what the kernel reports of it.
    public convenience init(opened descriptor: consuming FileDescriptor) throws(SyscallError) {
        let info = try MapInfo(of: descriptor)
        self.init(info, name: info.name, descriptor: descriptor)
    }

    /// The map behind `descriptor`, whose info is `info`, under `name` (the kernel keeps 15 bytes of it).
    convenience init(_ info: MapInfo, name: String, descriptor: consuming FileDescriptor) {
        self.init(
            name: name, type: info.type, keySize: Int(info.keySize), valueSize: Int(info.valueSize),
            maxEntries: info.maxEntries, flags: info.flags, descriptor: descriptor)
    }

    /// What the kernel reports about the map now (`bpf_map_info`).
    public func info() throws(SyscallError) -> MapInfo { try MapInfo(of: descriptor) }

    /// Whether lookups return one value per possible CPU (per-CPU hash, array, LRU hash, cgroup storage).
    public var isPerCPU: Bool { type.isPerCPU }

    /// The bytes a lookup fills and an update reads: the value size, or for a per-CPU map one
    /// 8-byte-aligned value per possible CPU (an error when the CPUs cannot be counted).
    public func valueBufferSize() throws(SyscallError) -> Int {
        isPerCPU ? MapCommands.perCPUStride(valueSize: valueSize) * (try PossibleCPUs.count) : valueSize
    }

    /// Throws unless `key` (when given) and `value` (a byte count, when given) are exactly the map's
    /// sizes: checked before `operation` reaches the kernel. Keys are exact also for keyless maps.
    func check(key: Int?, value: Int?, _ operation: @autoclosure () -> String) throws(SyscallError) {
        if let key, key != keySize {
            throw SyscallError(
                operation:
                    "\(operation()): a \(key)-byte key for map '\(name)', whose keys are \(keySize) bytes (refused before the call)",
                errno: EINVAL)
        }
        if let value, case let size = try valueBufferSize(), value != size {
            throw SyscallError(
                operation:
                    "\(operation()): a \(value)-byte value buffer for map '\(name)', whose values take \(size) bytes (refused before the call)",
                errno: EINVAL)
        }
    }

    /// The value of `key` (for per-CPU maps all CPUs' values, packed: see ``lookupPerCPU(_:)``); nil when absent.
    public func lookup(_ key: [UInt8], flags: UInt64 = 0) throws(SyscallError) -> [UInt8]? {
        let size = try valueBufferSize()
        try check(key: key.count, value: size, "BPF_MAP_LOOKUP_ELEM")
        return try MapCommands.keyed(
            .mapLookupElement, "BPF_MAP_LOOKUP_ELEM", descriptor.rawValue, key: key, output: size, flags: flags)
    }

    /// Sets `key` to `value`: flags `BPF_ANY` (0), `BPF_NOEXIST` (1), `BPF_EXIST` (2), or `BPF_F_LOCK` (4).
    public func update(_ key: [UInt8], _ value: [UInt8], flags: UInt64 = 0) throws(SyscallError) {
        try check(key: key.count, value: value.count, "BPF_MAP_UPDATE_ELEM")
        try MapCommands.uncheckedUpdate(descriptor: descriptor.rawValue, key: key, value: value, flags: flags)
    }

    /// Deletes `key` (`ENOENT` when absent).
    public func delete(_ key: [UInt8]) throws(SyscallError) {
        try check(key: key.count, value: nil, "BPF_MAP_DELETE_ELEM")
        try MapCommands.uncheckedDelete(descriptor: descriptor.rawValue, key: key)
    }

    /// The key after `key` (the first key when `key` is nil); nil at the end.
    public func nextKey(after key: [UInt8]?) throws(SyscallError) -> [UInt8]? {
        try check(key: key?.count, value: nil, "BPF_MAP_GET_NEXT_KEY")
        return try MapCommands.keyed(
            .mapGetNextKey, "BPF_MAP_GET_NEXT_KEY", descriptor.rawValue, key: key, output: keySize)
    }

    /// The keys, walked lazily with `BPF_MAP_GET_NEXT_KEY` as the loop asks for them.
    public var keys: MapKeys { MapKeys(map: self) }

    /// Every key, in the kernel's iteration order (at most 2^24: a map refilled as it is walked ends somewhere).
    public func allKeys() throws(SyscallError) -> [[UInt8]] {
        var keys: [[UInt8]] = []
        for key in self.keys {
            keys.append(try key.get())
            if keys.count > 1 << 24 { break }
        }
        return keys
    }

    /// Takes the value of `key` out of the map; with no key, pops the head of a queue or the top
    /// of a stack. Nil when there is nothing to take.
    public func lookupAndDelete(_ key: [UInt8]?) throws(SyscallError) -> [UInt8]? {
        let size = try valueBufferSize()
        try check(key: key?.count, value: size, "BPF_MAP_LOOKUP_AND_DELETE_ELEM")
        return try MapCommands.keyed(
            .mapLookupAndDeleteElement, "BPF_MAP_LOOKUP_AND_DELETE_ELEM", descriptor.rawValue, key: key, output: size)
    }

    /// Pushes `value` onto a queue or stack.
    public func push(_ value: [UInt8], flags: UInt64 = 0) throws(SyscallError) {
        try check(key: 0, value: value.count, "BPF_MAP_UPDATE_ELEM (push)")
        try value.withBytes { (v) throws(SyscallError) in
            try MapCommands.element(
                .mapUpdateElement, descriptor.rawValue, key: nil, value: v.baseAddress, flags: flags,
                "BPF_MAP_UPDATE_ELEM (push)")
        }
    }

    /// Every entry, read `chunk` at a time with `BPF_MAP_LOOKUP_BATCH` (or `…_AND_DELETE_BATCH`
    /// when `deleting`), one key at a time where the kernel or map type has no batches.
    public func entries(
        chunk: Int = 256, deleting: Bool = false
    ) throws(SyscallError) -> [(key: [UInt8], value: [UInt8])] {
        try MapCommands.entries(
            descriptor.rawValue, keySize: keySize, valueSize: try valueBufferSize(), chunk: chunk, deleting: deleting)
    }

    /// Sets each of `keys` to the value at the same index (`BPF_MAP_UPDATE_BATCH`, or one by one).
    public func update(keys: [[UInt8]], values: [[UInt8]], flags: UInt64 = 0) throws(SyscallError) {
        guard keys.count == values.count else {
            throw SyscallError(
                operation: "BPF_MAP_UPDATE_BATCH (\(keys.count) keys, \(values.count) values)", errno: EINVAL)
        }
        for (key, value) in zip(keys, values) { try check(key: key.count, value: value.count, "BPF_MAP_UPDATE_BATCH") }
        try MapCommands.update(descriptor.rawValue, keys: keys, values: values, flags: flags)
    }

    /// Deletes each of `keys` (`BPF_MAP_DELETE_BATCH`, or one by one).
    public func delete(keys: [[UInt8]]) throws(SyscallError) {
        for key in keys { try check(key: key.count, value: nil, "BPF_MAP_DELETE_BATCH") }
        try MapCommands.delete(descriptor.rawValue, keys: keys)
    }

    /// A per-CPU map's value for `key`: one `valueSize`-byte value per possible CPU; nil when absent.
    public func lookupPerCPU(_ key: [UInt8]) throws(SyscallError) -> [[UInt8]]? {
        guard isPerCPU else {
            throw SyscallError(
                operation: "per-CPU lookup on \(type) map '\(name)' (refused before the call)", errno: EINVAL)
        }
        let stride = MapCommands.perCPUStride(valueSize: valueSize)
        guard let all = try lookup(key) else { return nil }
        return (0..<all.count / stride).map { Array(all[$0 * stride..<$0 * stride + valueSize]) }
    }

    /// Sets a per-CPU map's value for `key`, one `valueSize`-byte value per possible CPU.
    public func updatePerCPU(_ key: [UInt8], values: [[UInt8]], flags: UInt64 = 0) throws(SyscallError) {
        let cpus = try PossibleCPUs.count
        guard isPerCPU, values.count == cpus, values.allSatisfy({ $0.count == valueSize }) else {
            throw SyscallError(
                operation: "BPF_MAP_UPDATE_ELEM (per-CPU map '\(name)': \(cpus) values of \(valueSize) bytes expected)",
                errno: EINVAL)
        }
        let stride = MapCommands.perCPUStride(valueSize: valueSize)
        var packed = [UInt8](repeating: 0, count: stride * cpus)
        for (cpu, value) in values.enumerated() {
            packed.replaceSubrange(cpu * stride..<cpu * stride + valueSize, with: value)
        }
        try update(key, packed, flags: flags)
    }

    /// `BPF_MAP_FREEZE`: user space can no longer write the map.
    public func freeze() throws(SyscallError) { try MapCommands.freeze(descriptor) }

    /// Pins the map on a bpffs, so that it outlives this process.
    public func pin(at path: String) throws(SyscallError) { try ObjectCommands.pin(descriptor, at: path) }
}
