import BPFObject
import Glibc

/// `BPF_MAP_CREATE`'s fields.
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
    /// The BPF token to create the map with (`BPF_F_TOKEN_FD`): a descriptor its owner keeps open.
    package var token: Int32?

    public init(
        type: MapType, keySize: UInt32, valueSize: UInt32, maxEntries: UInt32, flags: UInt32 = 0, name: String = ""
    ) {
        self.type = type
        self.keySize = keySize
        self.valueSize = valueSize
        self.maxEntries = maxEntries
        self.flags = flags
        self.name = name
    }
}

extension Map {
    /// A new map of `attributes` (no BTF), owned by the returned value.
    public static func create(_ attributes: MapAttributes) throws(SyscallError) -> Map {
        Map(attributes, descriptor: try MapCommands.create(attributes))
    }

    /// The map just created from `attributes`.
    convenience init(_ attributes: MapAttributes, descriptor: consuming FileDescriptor) {
        self.init(
            name: attributes.name, type: attributes.type, keySize: Int(attributes.keySize),
            valueSize: Int(attributes.valueSize),
            maxEntries: attributes.maxEntries, flags: attributes.flags, descriptor: descriptor)
    }
}

/// The map commands of `bpf(2)`, thin and unchecked: callers (``Map``, the loader) have checked
/// the buffers' sizes against the map's.
package enum MapCommands {
    /// `BPF_MAP_CREATE`; `btf` and `innerMap` are descriptors the caller keeps open during the call.
    package static func create(
        _ a: MapAttributes, btf: Int32? = nil, innerMap: Int32? = nil
    ) throws(SyscallError) -> FileDescriptor {
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
        if let token = a.token {
            attr.mapFlags |= tokenFlag
            attr.mapTokenFD = token
        }
        return try Syscall.bpfDescriptor(.mapCreate, &attr, "BPF_MAP_CREATE '\(a.name)'")
    }

    /// `BPF_MAP_UPDATE_ELEM` from byte arrays of the map's sizes.
    package static func uncheckedUpdate(
        descriptor fd: Int32, key: [UInt8], value: [UInt8], flags: UInt64 = 0
    ) throws(SyscallError) {
        try key.withBytes { (k) throws(SyscallError) in
            try value.withBytes { (v) throws(SyscallError) in
                try element(
                    .mapUpdateElement, fd, key: k.baseAddress, value: v.baseAddress, flags: flags, "BPF_MAP_UPDATE_ELEM"
                )
            }
        }
    }

    /// `BPF_MAP_DELETE_ELEM` with a key of the map's size.
    package static func uncheckedDelete(descriptor fd: Int32, key: [UInt8]) throws(SyscallError) {
        try key.withBytes { (k) throws(SyscallError) in
            try element(.mapDeleteElement, fd, key: k.baseAddress, value: nil, "BPF_MAP_DELETE_ELEM")
        }
    }

    /// A command on map `fd` with an optional `key` (nil: none) and an `output`-byte buffer the
    /// kernel fills: the buffer, or nil when the kernel finds nothing (`ENOENT`).
    static func keyed(
        _ command: Command, _ operation: String, _ fd: Int32, key: [UInt8]?, output size: Int,
        flags: UInt64 = 0
    ) throws(SyscallError) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: size)
        let found = try (key ?? []).withBytes { (k) throws(SyscallError) in
            try output.withMutableBytes { (o) throws(SyscallError) -> Bool in
                do throws(SyscallError) {
                    try element(
                        command, fd, key: key == nil ? nil : k.baseAddress, value: o.baseAddress, flags: flags,
                        operation)
                } catch  where error.errno == ENOENT {
                    return false
                }
                return true
            }
        }
        return found ? output : nil
    }

    /// `BPF_MAP_FREEZE`: user space can no longer write the map.
    package static func freeze(_ map: borrowing FileDescriptor) throws(SyscallError) {
        var attr = MapElementAttr()
        attr.mapFD = UInt32(bitPattern: map.rawValue)
        _ = try Syscall.bpf(.mapFreeze, &attr, "BPF_MAP_FREEZE")
    }

    /// A `BPF_MAP_*_ELEM` command on map `fd` (the buffers sized by the caller: the map's key and value sizes).
    static func element(
        _ command: Command, _ fd: Int32, key: UnsafeRawPointer?, value: UnsafeRawPointer?, flags: UInt64 = 0,
        _ operation: @autoclosure () -> String
    ) throws(SyscallError) {
        var attr = MapElementAttr()
        attr.mapFD = UInt32(bitPattern: fd)
        attr.key = kernelAddress(key)
        attr.value = kernelAddress(value)
        attr.flags = flags
        _ = try Syscall.bpf(command, &attr, operation())
    }

    /// The bytes one CPU's value takes in a per-CPU map's value buffer: the value size rounded up to 8.
    /// (A size outside a map value's 32 bits, which no map has, is clamped into them.)
    package static func perCPUStride(valueSize: Int) -> Int { (min(max(valueSize, 0), Int(UInt32.max)) + 7) & ~7 }
}
