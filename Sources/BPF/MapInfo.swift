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
    public init(descriptor fd: Int32) throws(SyscallError) {
        var info = Attribute(size: 88)
        try ObjectInfo.get(fd, into: &info)
        type = MapType(rawValue: info.u32(at: 0))
        id = info.u32(at: 4)
        keySize = info.u32(at: 8)
        valueSize = info.u32(at: 12)
        maxEntries = info.u32(at: 16)
        flags = info.u32(at: 20)
        name = String(decoding: info.bytes(at: 24, count: 16).prefix { $0 != 0 }, as: UTF8.self)
        btfVmlinuxValueTypeID = info.u32(at: 44)
        btfID = info.u32(at: 64)
        btfKeyTypeID = info.u32(at: 68)
        btfValueTypeID = info.u32(at: 72)
        mapExtra = UInt64(info.u32(at: 80)) | UInt64(info.u32(at: 84)) << 32
    }
}
