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
            throw .pin(map: spec.name, path: options.pinRoot + "/" + spec.name, reason: .nameNotOneComponent)
        }
        var fs = statfs()
        guard options.pinRoot.withCString({ statfs($0, &fs) }) == 0 else {
            throw .pin(
                map: spec.name, path: path,
                reason: .pinRoot(SyscallError(operation: "statfs \(options.pinRoot)", errno: errno)))
        }
        guard UInt(bitPattern: Int(fs.f_type)) == Self.bpffsMagic else {
            throw .pin(map: spec.name, path: path, reason: .notBPFFS(root: options.pinRoot))
        }
        return path
    }

    /// The map pinned at `path` when it matches `spec` (type, key and value size, entries, flags, map_extra: libbpf's checks);
    /// nil when nothing is pinned there; an error for anything else.
    func reusePinnedMap(_ spec: MapSpec, at path: String) throws(LoadError) -> Map? {
        let fd: FileDescriptor
        do { fd = try KernelObjectIDs.open(pinned: path) } catch {
            if error.errno == ENOENT { return nil }
            throw .pin(map: spec.name, path: path, reason: .system(error))
        }
        let info: MapInfo
        do { info = try MapInfo(of: fd) } catch {
            throw .pin(map: spec.name, path: path, reason: .notAMap(error))
        }
        var differences: [LoadError.PinnedMapDifference] = []
        func compare(
            _ field: LoadError.PinnedMapDifference.Field, _ pinned: some FixedWidthInteger,
            _ wanted: some FixedWidthInteger
        ) {
            if pinned != wanted {
                differences.append(.init(field: field, pinned: UInt64(pinned), object: UInt64(wanted)))
            }
        }
        let ring = spec.type == .ringBuffer
        compare(.type, info.type.rawValue, spec.type.rawValue)
        compare(.keySize, info.keySize, ring ? 0 : spec.keySize)
        compare(.valueSize, info.valueSize, ring ? 0 : spec.valueSize)
        compare(.maxEntries, info.maxEntries, spec.maxEntries)
        compare(.flags, info.flags, spec.flags)
        compare(.mapExtra, info.mapExtra, spec.mapExtra)
        guard differences.isEmpty else { throw .pin(map: spec.name, path: path, reason: .differs(differences)) }
        return Map(info, name: spec.name, descriptor: fd)
    }
}
