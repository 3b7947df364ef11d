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

    static let size = 228

    /// Reads the info of the program behind `fd` (two passes: the second fetches `map_ids`).
    public init(descriptor fd: Int32) throws(SyscallError) {
        var info = try Self.query(fd, mapIDs: nil)
        let count = Int(info.u32(at: 52))
        var ids = [UInt32](repeating: 0, count: count)
        if count > 0 {
            let result = ids.withUnsafeMutableBytes { buffer -> Result<Attribute, SyscallError> in
                do throws(SyscallError) { return .success(try Self.query(fd, mapIDs: buffer)) } catch { return .failure(error) }
            }
            info = try result.get()
            ids = Array(ids.prefix(Int(info.u32(at: 52))))
        }
        type = ProgramType(rawValue: info.u32(at: 0))
        id = info.u32(at: 4)
        tag = info.bytes(at: 8, count: 8)
        jitedSize = info.u32(at: 16)
        translatedSize = info.u32(at: 20)
        loadTime = UInt64(info.u32(at: 40)) | UInt64(info.u32(at: 44)) << 32
        createdByUID = info.u32(at: 48)
        mapIDs = ids
        name = String(decoding: info.bytes(at: 64, count: 16).prefix { $0 != 0 }, as: UTF8.self)
        gplCompatible = info.u32(at: 84) & 1 == 1
        btfID = info.u32(at: 128)
        verifiedInstructions = info.u32(at: 216)
    }

    private static func query(_ fd: Int32, mapIDs: UnsafeMutableRawBufferPointer?) throws(SyscallError) -> Attribute {
        var info = Attribute(size: size)
        if let mapIDs {
            info.set(UInt32(mapIDs.count / 4), at: 52)
            info.set(UnsafeRawPointer(mapIDs.baseAddress), at: 56)
        }
        try ObjectInfo.get(fd, into: &info)
        return info
    }
}

/// `BPF_OBJ_GET_INFO_BY_FD`.
enum ObjectInfo {
    static func get(_ fd: Int32, into info: inout Attribute) throws(SyscallError) {
        let length = UInt32(info.size)
        let result = info.withUnsafeMutableBytes { buffer -> Result<Void, SyscallError> in
            var attr = Attribute(size: 16)
            attr.set(UInt32(bitPattern: fd), at: 0)
            attr.set(length, at: 4)
            attr.set(UnsafeRawPointer(buffer.baseAddress), at: 8)
            do throws(SyscallError) { _ = try attr.call(.objectGetInfoByFD, "BPF_OBJ_GET_INFO_BY_FD"); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }
}
