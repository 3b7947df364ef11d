import BPFObject

/// `struct bpf_prog_info` of a loaded program, as `BPF_OBJ_GET_INFO_BY_FD` reports it.
public struct ProgramInfo: Sendable {
    public let type: ProgramType
    public let id: UInt32
    /// The program tag (a hash of its instructions), 8 bytes.
    public let tag: [UInt8]
    public let jitedSize: UInt32
    public let translatedSize: UInt32
    /// Nanoseconds since boot when the program was loaded.
    public let loadTime: UInt64
    public let createdByUID: UInt32
    public let mapIDs: [UInt32]
    public let name: String
    public let gplCompatible: Bool
    public let btfID: UInt32
    public let verifiedInstructions: UInt32

    /// Reads the info of the program behind `fd` (two passes: the second fetches `map_ids`).
    public init(of object: borrowing FileDescriptor) throws(SyscallError) {
        let fd = object.rawValue
        var info = ProgInfoLayout()
        try ObjectInfo.get(fd, into: &info)
        var ids = [UInt32](repeating: 0, count: try kernelReportedSize(info.nrMapIDs, each: 4, "map_ids") / 4)
        if !ids.isEmpty {
            info = try ids.withMutableBytes { (buffer) throws(SyscallError) in
                var second = ProgInfoLayout()
                second.nrMapIDs = UInt32(buffer.count / 4)
                second.mapIDs = kernelAddress(buffer.baseAddress)
                try ObjectInfo.get(fd, into: &second)
                return second
            }
            ids = Array(ids.prefix(Int(info.nrMapIDs)))
        }
        type = ProgramType(rawValue: info.type)
        id = info.id
        tag = info.tag
        jitedSize = info.jitedProgLen
        translatedSize = info.xlatedProgLen
        loadTime = info.loadTime
        createdByUID = info.createdByUID
        mapIDs = ids
        name = info.name
        gplCompatible = info.gplCompatible == 1
        btfID = info.btfID
        verifiedInstructions = info.verifiedInsns
    }
}

/// `BPF_OBJ_GET_INFO_BY_FD`.
enum ObjectInfo {
    /// Fills `info` (whose pointer fields the caller has set) for the object behind `fd`.
    static func get<L: KernelLayout>(_ fd: Int32, into info: inout L) throws(SyscallError) {
        try info.withUnsafeMutableBytes { (buffer) throws(SyscallError) in
            var attr = InfoAttr()
            attr.bpfFD = UInt32(bitPattern: fd)
            attr.infoLen = UInt32(buffer.count)
            attr.info = kernelAddress(buffer.baseAddress)
            _ = try Syscall.bpf(.objectGetInfoByFD, &attr, "BPF_OBJ_GET_INFO_BY_FD")
        }
    }
}
