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
        var attr = MapCreateAttr()
        attr.mapType = a.type.rawValue
        attr.keySize = a.keySize
        attr.valueSize = a.valueSize
        attr.maxEntries = a.maxEntries
        attr.mapFlags = a.flags
        if let innerMap { attr.innerMapFD = UInt32(bitPattern: innerMap) }
        attr.numaNode = a.numaNode
        attr.mapName = a.name
        if let btf, a.btfValueTypeID != 0 || a.btfVmlinuxValueTypeID != 0 {
            attr.btfFD = UInt32(bitPattern: btf)
            attr.btfKeyTypeID = a.btfKeyTypeID
            attr.btfValueTypeID = a.btfValueTypeID
            attr.btfVmlinuxValueTypeID = a.btfVmlinuxValueTypeID
        }
        attr.mapExtra = a.mapExtra
        return try Syscall.bpfDescriptor(.mapCreate, &attr, "BPF_MAP_CREATE '\(a.name)'")
    }

    /// `BPF_MAP_UPDATE_ELEM` with `BPF_ANY` (0), `BPF_NOEXIST` (1), `BPF_EXIST` (2), or `BPF_F_LOCK` (4).
    /// Like every map command here, checks the buffers' sizes against the map's before the call.
    public static func update(_ map: borrowing FileDescriptor, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: UInt64 = 0) throws(SyscallError) {
        try MapBufferSizes.check(map.rawValue, key: key.count, value: value.count, "BPF_MAP_UPDATE_ELEM")
        try element(.mapUpdateElement, map.rawValue, key: key.baseAddress, value: value.baseAddress, flags: flags, "BPF_MAP_UPDATE_ELEM")
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
        try key.withBytes { (k) throws(SyscallError) in
            try value.withBytes { (v) throws(SyscallError) in
                try element(.mapUpdateElement, fd, key: k.baseAddress, value: v.baseAddress, flags: flags, "BPF_MAP_UPDATE_ELEM")
            }
        }
    }

    /// `BPF_MAP_LOOKUP_ELEM` into `value` (which must hold the map's value size).
    public static func lookup(_ map: borrowing FileDescriptor, key: UnsafeRawBufferPointer, value: UnsafeMutableRawBufferPointer, flags: UInt64 = 0) throws(SyscallError) {
        try MapBufferSizes.check(map.rawValue, key: key.count, value: value.count, "BPF_MAP_LOOKUP_ELEM")
        try element(.mapLookupElement, map.rawValue, key: key.baseAddress, value: value.baseAddress, flags: flags, "BPF_MAP_LOOKUP_ELEM")
    }

    /// `BPF_MAP_LOOKUP_ELEM` on a descriptor owned elsewhere; returns the `valueSize` bytes of the value.
    public static func lookup(descriptor fd: Int32, key: [UInt8], valueSize: Int, flags: UInt64 = 0) throws(SyscallError) -> [UInt8] {
        try MapBufferSizes.check(fd, key: key.count, value: valueSize, "BPF_MAP_LOOKUP_ELEM")
        var value = [UInt8](repeating: 0, count: valueSize)
        try key.withBytes { (k) throws(SyscallError) in
            try value.withMutableBytes { (v) throws(SyscallError) in
                try element(.mapLookupElement, fd, key: k.baseAddress, value: v.baseAddress, flags: flags, "BPF_MAP_LOOKUP_ELEM")
            }
        }
        return value
    }

    /// `BPF_MAP_DELETE_ELEM`.
    public static func delete(descriptor fd: Int32, key: [UInt8]) throws(SyscallError) {
        try MapBufferSizes.check(fd, key: key.count, value: nil, "BPF_MAP_DELETE_ELEM")
        try uncheckedDelete(descriptor: fd, key: key)
    }

    /// `BPF_MAP_DELETE_ELEM` with a key the caller has proven to be the map's size.
    static func uncheckedDelete(descriptor fd: Int32, key: [UInt8]) throws(SyscallError) {
        try key.withBytes { (k) throws(SyscallError) in
            try element(.mapDeleteElement, fd, key: k.baseAddress, value: nil, "BPF_MAP_DELETE_ELEM")
        }
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
        let found = try (key ?? []).withBytes { (k) throws(SyscallError) in
            try output.withMutableBytes { (o) throws(SyscallError) -> Bool in
                do throws(SyscallError) { try element(command, fd, key: key == nil ? nil : k.baseAddress, value: o.baseAddress, operation) } catch where error.errno == ENOENT {
                    return false
                }
                return true
            }
        }
        return found ? output : nil
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
        var attr = MapElementAttr()
        attr.mapFD = UInt32(bitPattern: map.rawValue)
        _ = try Syscall.bpf(.mapFreeze, &attr, "BPF_MAP_FREEZE")
    }

    /// A `BPF_MAP_*_ELEM` command on map `fd` (the buffers sized by the caller: the map's key and value sizes).
    static func element(_ command: Command, _ fd: Int32, key: UnsafeRawPointer?, value: UnsafeRawPointer?, flags: UInt64 = 0,
                        _ operation: @autoclosure () -> String) throws(SyscallError) {
        var attr = MapElementAttr()
        attr.mapFD = UInt32(bitPattern: fd)
        attr.key = kernelAddress(key)
        attr.value = kernelAddress(value)
        attr.flags = flags
        _ = try Syscall.bpf(command, &attr, operation())
    }
}
