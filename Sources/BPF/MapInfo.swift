import BPFObject

/// `struct bpf_map_info` of a map in the kernel.
public struct MapInfo: Sendable {
    public let type: MapType
    public let id: UInt32
    public let keySize: UInt32
    public let valueSize: UInt32
    public let maxEntries: UInt32
    public let flags: UInt32
    public let name: String
    public let btfID: UInt32
    public let btfKeyTypeID: UInt32
    public let btfValueTypeID: UInt32
    public let mapExtra: UInt64
    /// A struct_ops map's value type in the kernel's BTF (`bpf_struct_ops_<ops>`), else 0.
    public let btfVmlinuxValueTypeID: UInt32

    /// Reads the info of the map behind `fd`.
    public init(of object: borrowing FileDescriptor) throws(SyscallError) {
        let fd = object.rawValue
        var info = MapInfoLayout()
        try ObjectInfo.get(fd, into: &info)
        type = MapType(rawValue: info.type)
        id = info.id
        keySize = info.keySize
        valueSize = info.valueSize
        maxEntries = info.maxEntries
        flags = info.mapFlags
        name = info.name
        btfVmlinuxValueTypeID = info.btfVmlinuxValueTypeID
        btfID = info.btfID
        btfKeyTypeID = info.btfKeyTypeID
        btfValueTypeID = info.btfValueTypeID
        mapExtra = info.mapExtra
    }
}
