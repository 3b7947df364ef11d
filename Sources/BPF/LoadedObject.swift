import BPFObject
import Glibc

/// An object's maps and programs in the kernel. It owns every descriptor and
/// closes them when dropped; a failed load drops what it made, so nothing leaks.
public struct LoadedObject: ~Copyable {
    public let spec: ObjectSpec
    /// Descriptors of `spec.maps`, in the same order (-1: not created).
    var mapDescriptors: [Int32]
    private(set) var programEntries: [(name: String, fd: Int32, type: ProgramType)] = []
    /// The first program and map of each name, by index (lookups by name cost one probe).
    private var programsByName: [String: Int] = [:]
    private let mapsByName: [String: Int]
    /// The object's BTF in the kernel (-1: none).
    var btfDescriptor: Int32 = -1
    /// Maps pinned by name (`LIBBPF_PIN_BY_NAME`), created or reused: map name → pin path.
    public internal(set) var pinnedMaps: [String: String] = [:]
    /// Pins this load made, removed again if the load fails.
    var pinsMadeByLoad: [String] = []
    /// The map pins this load created (not those it reused): what a caller that fails after the
    /// load removes so as to leave nothing behind.
    public internal(set) var createdPins: [String] = []
    /// What became of each CO-RE relocation (poisoned ones have no value).
    public internal(set) var coreOutcomes: [COREOutcome] = []
    /// struct_ops map values ready to register (program descriptors in place), by map index.
    var structOpsValues: [Int: [UInt8]] = [:]

    init(spec: ObjectSpec) {
        self.spec = spec
        mapDescriptors = Array(repeating: -1, count: spec.maps.count)
        mapsByName = Dictionary(spec.maps.enumerated().map { ($1.name, $0) }) { first, _ in first }
    }

    /// Records a loaded program, which this object now owns.
    mutating func append(program name: String, _ fd: consuming FileDescriptor, type: ProgramType) {
        if programsByName[name] == nil { programsByName[name] = programEntries.count }
        programEntries.append((name, fd.release(), type))
    }

    mutating func reserveProgramCapacity(_ count: Int) { programEntries.reserveCapacity(count) }

    deinit {
        for path in pinsMadeByLoad { unlink(path) }
        for fd in mapDescriptors where fd >= 0 { close(fd) }
        for entry in programEntries where entry.fd >= 0 { close(entry.fd) }
        if btfDescriptor >= 0 { close(btfDescriptor) }
    }

    /// Names of the loaded programs, in load order.
    public var programNames: [String] { programEntries.map(\.name) }

    /// The descriptor of a loaded program, valid while this object lives.
    public func programDescriptor(named name: String) -> Int32? {
        programsByName[name].flatMap { programEntries[$0].fd >= 0 ? programEntries[$0].fd : nil }
    }

    /// The descriptor of a created map, valid while this object lives.
    public func mapDescriptor(named name: String) -> Int32? {
        mapsByName[name].flatMap { mapDescriptors[$0] >= 0 ? mapDescriptors[$0] : nil }
    }

    /// The object's BTF descriptor, if its BTF was loaded.
    public var btf: Int32? { btfDescriptor >= 0 ? btfDescriptor : nil }

    /// Moves a program's descriptor out: the caller owns it from now on.
    public mutating func takeProgram(named name: String) -> FileDescriptor? {
        guard let i = programsByName[name], programEntries[i].fd >= 0 else { return nil }
        let fd = programEntries[i].fd
        programEntries[i].fd = -1
        return FileDescriptor(owning: fd)
    }

    /// Moves a map's descriptor out: the caller owns it from now on.
    public mutating func takeMap(named name: String) -> FileDescriptor? {
        guard let i = mapsByName[name], mapDescriptors[i] >= 0 else { return nil }
        let fd = mapDescriptors[i]
        mapDescriptors[i] = -1
        return FileDescriptor(owning: fd)
    }
}
