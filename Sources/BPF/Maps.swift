import BPFObject
import Glibc

/// `BPF_MAP_CREATE`'s fields, as the kernel lays them out.
public struct MapAttributes: Sendable {
    public var type: MapType
    public var keySize: UInt32
    public var valueSize: UInt32
    public var maxEntries: UInt32
    public var flags: UInt32
    public var name: String
    public var numaNode: UInt32 = 0
    public var mapExtra: UInt64 = 0
    public var btfKeyTypeID: UInt32 = 0
    public var btfValueTypeID: UInt32 = 0
    /// The kernel's value type of a struct_ops map (`bpf_struct_ops_<ops>` in vmlinux BTF).
    public var btfVmlinuxValueTypeID: UInt32 = 0

    public init(type: MapType, keySize: UInt32, valueSize: UInt32, maxEntries: UInt32, flags: UInt32 = 0, name: String = "") {
        self.type = type
        self.keySize = keySize
        self.valueSize = valueSize
        self.maxEntries = maxEntries
        self.flags = flags
        self.name = name
    }
}

/// Thin wrappers over the map commands of `bpf(2)`: no policy.
public enum MapCommands {
    /// `BPF_MAP_CREATE`; `btf` and `innerMap` are descriptors the caller keeps open during the call.
    public static func create(_ a: MapAttributes, btf: Int32? = nil, innerMap: Int32? = nil) throws(SyscallError) -> FileDescriptor {
        var attr = Attribute(size: 72)
        attr.set(a.type.rawValue, at: 0)
        attr.set(a.keySize, at: 4)
        attr.set(a.valueSize, at: 8)
        attr.set(a.maxEntries, at: 12)
        attr.set(a.flags, at: 16)
        if let innerMap { attr.set(UInt32(bitPattern: innerMap), at: 20) }
        attr.set(a.numaNode, at: 24)
        attr.set(name: a.name, at: 28)
        if let btf, a.btfValueTypeID != 0 || a.btfVmlinuxValueTypeID != 0 {
            attr.set(UInt32(bitPattern: btf), at: 48)
            attr.set(a.btfKeyTypeID, at: 52)
            attr.set(a.btfValueTypeID, at: 56)
            attr.set(a.btfVmlinuxValueTypeID, at: 60)
        }
        attr.set(a.mapExtra, at: 64)
        return try attr.callForDescriptor(.mapCreate, "BPF_MAP_CREATE '\(a.name)'")
    }

    /// `BPF_MAP_UPDATE_ELEM` with `BPF_ANY` (0), `BPF_NOEXIST` (1), `BPF_EXIST` (2), or `BPF_F_LOCK` (4).
    /// Like every map command here, checks the buffers' sizes against the map's before the call.
    public static func update(_ map: borrowing FileDescriptor, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: UInt64 = 0) throws(SyscallError) {
        try MapBufferSizes.check(map.rawValue, key: key.count, value: value.count, "BPF_MAP_UPDATE_ELEM")
        var attr = Attribute(size: 32)
        attr.set(UInt32(bitPattern: map.rawValue), at: 0)
        attr.set(key.baseAddress, at: 8)
        attr.set(value.baseAddress, at: 16)
        attr.set(flags, at: 24)
        _ = try attr.call(.mapUpdateElement, "BPF_MAP_UPDATE_ELEM")
    }

    /// `BPF_MAP_UPDATE_ELEM` from byte arrays.
    public static func update(_ map: borrowing FileDescriptor, key: [UInt8], value: [UInt8], flags: UInt64 = 0) throws(SyscallError) {
        try update(descriptor: map.rawValue, key: key, value: value, flags: flags)
    }

    /// `BPF_MAP_UPDATE_ELEM` on a descriptor owned elsewhere (e.g. by a ``LoadedObject``).
    public static func update(descriptor fd: Int32, key: [UInt8], value: [UInt8], flags: UInt64 = 0) throws(SyscallError) {
        try MapBufferSizes.check(fd, key: key.count, value: value.count, "BPF_MAP_UPDATE_ELEM")
        try uncheckedUpdate(descriptor: fd, key: key, value: value, flags: flags)
    }

    /// `BPF_MAP_UPDATE_ELEM` with sizes the caller has proven to be the map's (the loader, from a checked spec).
    static func uncheckedUpdate(descriptor fd: Int32, key: [UInt8], value: [UInt8], flags: UInt64 = 0) throws(SyscallError) {
        let result = key.withUnsafeBytes { k in
            value.withUnsafeBytes { v -> Result<Void, SyscallError> in
                var attr = Attribute(size: 32)
                attr.set(UInt32(bitPattern: fd), at: 0)
                attr.set(k.baseAddress, at: 8)
                attr.set(v.baseAddress, at: 16)
                attr.set(flags, at: 24)
                do throws(SyscallError) { _ = try attr.call(.mapUpdateElement, "BPF_MAP_UPDATE_ELEM"); return .success(()) } catch { return .failure(error) }
            }
        }
        try result.get()
    }

    /// `BPF_MAP_LOOKUP_ELEM` into `value` (which must hold the map's value size).
    public static func lookup(_ map: borrowing FileDescriptor, key: UnsafeRawBufferPointer, value: UnsafeMutableRawBufferPointer, flags: UInt64 = 0) throws(SyscallError) {
        try MapBufferSizes.check(map.rawValue, key: key.count, value: value.count, "BPF_MAP_LOOKUP_ELEM")
        var attr = Attribute(size: 32)
        attr.set(UInt32(bitPattern: map.rawValue), at: 0)
        attr.set(key.baseAddress, at: 8)
        attr.set(UnsafeRawPointer(value.baseAddress), at: 16)
        attr.set(flags, at: 24)
        _ = try attr.call(.mapLookupElement, "BPF_MAP_LOOKUP_ELEM")
    }

    /// `BPF_MAP_LOOKUP_ELEM` on a descriptor owned elsewhere; returns the `valueSize` bytes of the value.
    public static func lookup(descriptor fd: Int32, key: [UInt8], valueSize: Int, flags: UInt64 = 0) throws(SyscallError) -> [UInt8] {
        try MapBufferSizes.check(fd, key: key.count, value: valueSize, "BPF_MAP_LOOKUP_ELEM")
        var value = [UInt8](repeating: 0, count: valueSize)
        let result = key.withUnsafeBytes { k in
            value.withUnsafeMutableBytes { v -> Result<Void, SyscallError> in
                var attr = Attribute(size: 32)
                attr.set(UInt32(bitPattern: fd), at: 0)
                attr.set(k.baseAddress, at: 8)
                attr.set(UnsafeRawPointer(v.baseAddress), at: 16)
                attr.set(flags, at: 24)
                do throws(SyscallError) { _ = try attr.call(.mapLookupElement, "BPF_MAP_LOOKUP_ELEM"); return .success(()) } catch { return .failure(error) }
            }
        }
        try result.get()
        return value
    }

    /// `BPF_MAP_DELETE_ELEM`.
    public static func delete(descriptor fd: Int32, key: [UInt8]) throws(SyscallError) {
        try MapBufferSizes.check(fd, key: key.count, value: nil, "BPF_MAP_DELETE_ELEM")
        try uncheckedDelete(descriptor: fd, key: key)
    }

    /// `BPF_MAP_DELETE_ELEM` with a key the caller has proven to be the map's size.
    static func uncheckedDelete(descriptor fd: Int32, key: [UInt8]) throws(SyscallError) {
        let result = key.withUnsafeBytes { k -> Result<Void, SyscallError> in
            var attr = Attribute(size: 32)
            attr.set(UInt32(bitPattern: fd), at: 0)
            attr.set(k.baseAddress, at: 8)
            do throws(SyscallError) { _ = try attr.call(.mapDeleteElement, "BPF_MAP_DELETE_ELEM"); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    /// `BPF_MAP_GET_NEXT_KEY`: the key after `key` (the first key when `key` is nil); nil at the end.
    public static func nextKey(descriptor fd: Int32, after key: [UInt8]?, keySize: Int) throws(SyscallError) -> [UInt8]? {
        let sizes = try MapBufferSizes(descriptor: fd)
        try sizes.check(key: keySize, value: nil, "BPF_MAP_GET_NEXT_KEY")
        try sizes.check(key: key?.count, value: nil, "BPF_MAP_GET_NEXT_KEY")
        return try keyed(.mapGetNextKey, "BPF_MAP_GET_NEXT_KEY", fd, key: key, output: keySize)
    }

    /// A command on map `fd` with an optional `key` (nil: none) and an `output`-byte buffer the
    /// kernel fills: the buffer, or nil when the kernel finds nothing (`ENOENT`).
    static func keyed(_ command: Command, _ operation: String, _ fd: Int32, key: [UInt8]?, output size: Int) throws(SyscallError) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: size)
        let result = (key ?? []).withUnsafeBytes { k in
            output.withUnsafeMutableBytes { o -> Result<Bool, SyscallError> in
                var attr = Attribute(size: 32)
                attr.set(UInt32(bitPattern: fd), at: 0)
                attr.set(key == nil ? nil : k.baseAddress, at: 8)
                attr.set(UnsafeRawPointer(o.baseAddress), at: 16)
                do throws(SyscallError) { _ = try attr.call(command, operation); return .success(true) } catch {
                    return error.errno == ENOENT ? .success(false) : .failure(error)
                }
            }
        }
        return try result.get() ? output : nil
    }

    /// Every key of a map, in the kernel's iteration order (``keySequence(descriptor:keySize:)`` walks them lazily).
    public static func keys(descriptor fd: Int32, keySize: Int) throws(SyscallError) -> [[UInt8]] {
        try MapBufferSizes.check(fd, key: keySize, value: nil, "BPF_MAP_GET_NEXT_KEY")
        var keys: [[UInt8]] = []
        for key in uncheckedKeySequence(descriptor: fd, keySize: keySize) {
            keys.append(try key.get())
            if keys.count > 1 << 24 { break }  // a map being refilled as we walk it: stop somewhere
        }
        return keys
    }

    /// `BPF_MAP_FREEZE`: user space can no longer write the map.
    public static func freeze(_ map: borrowing FileDescriptor) throws(SyscallError) {
        var attr = Attribute(size: 8)
        attr.set(UInt32(bitPattern: map.rawValue), at: 0)
        _ = try attr.call(.mapFreeze, "BPF_MAP_FREEZE")
    }
}
