import BPFObject
import CBPFSyscall
import Glibc

extension ObjectSpec {
    /// `LIBBPF_PIN_BY_NAME`: the only pinning value libbpf honours, for BTF-defined maps.
    static let pinByName: UInt32 = 1
    private static let bpffsMagic: UInt = 0xCAFE_4A11

    /// Where a map pinned by name lives, or nil when it is not pinned. The name must be a
    /// single path component, so that no map can place a pin outside the pin root.
    func pinPath(_ spec: MapSpec, _ options: LoadOptions) throws(LoadError) -> String? {
        guard spec.origin == .btf, spec.pinning == Self.pinByName else { return nil }
        guard let path = ObjectCommands.path(in: options.pinRoot, named: spec.name) else {
            throw .pin(map: spec.name, path: options.pinRoot + "/" + spec.name, reason: "a map name must be one path component to be pinned by name")
        }
        var fs = statfs()
        guard statfs(options.pinRoot, &fs) == 0 else {
            throw .pin(map: spec.name, path: path, reason: "pin root: \(String(cString: strerror(errno)))")
        }
        guard UInt(bitPattern: Int(fs.f_type)) == Self.bpffsMagic else {
            throw .pin(map: spec.name, path: path, reason: "bpffs is not mounted at '\(options.pinRoot)' (mount -t bpf bpf \(options.pinRoot))")
        }
        return path
    }

    /// The map pinned at `path` when it matches `spec` (type, key and value size, entries, flags, map_extra: libbpf's checks);
    /// nil when nothing is pinned there; an error for anything else.
    func reusePinnedMap(_ spec: MapSpec, at path: String) throws(LoadError) -> Map? {
        let fd: FileDescriptor
        do { fd = try KernelObjectIDs.open(pinned: path) } catch {
            if error.errno == ENOENT { return nil }
            throw .pin(map: spec.name, path: path, reason: error.description)
        }
        let info: MapInfo
        do { info = try MapInfo(of: fd) } catch {
            throw .pin(map: spec.name, path: path, reason: "the pinned object is not a map (\(error))")
        }
        var differences: [String] = []
        func compare(_ what: String, _ pinned: UInt32, _ wanted: UInt32) {
            if pinned != wanted { differences.append("\(what) \(pinned) (object: \(wanted))") }
        }
        if info.type != spec.type { differences.append("type \(info.type) (object: \(spec.type))") }
        let ring = spec.type == .ringBuffer
        compare("key size", info.keySize, ring ? 0 : spec.keySize)
        compare("value size", info.valueSize, ring ? 0 : spec.valueSize)
        compare("max entries", info.maxEntries, spec.maxEntries)
        compare("flags", info.flags, spec.flags)
        if info.mapExtra != spec.mapExtra { differences.append("map_extra \(info.mapExtra) (object: \(spec.mapExtra))") }
        guard differences.isEmpty else {
            throw .pin(map: spec.name, path: path, reason: "the pinned map differs: " + differences.joined(separator: ", "))
        }
        return Map(info, name: spec.name, descriptor: fd)
    }
}
