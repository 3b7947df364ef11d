import BPFObject
import Glibc

/// An object's maps and programs in the kernel. Each ``Program`` and ``Map`` owns its descriptor
/// (and lives as long as anyone holds it); a failed load drops everything it made, so nothing leaks.
public struct LoadedObject: ~Copyable {
    public let spec: ObjectSpec
    /// The created maps, in the order of `spec.maps` (nil: not created).
    public private(set) var maps: [Map?]
    /// The loaded programs, in load order.
    public private(set) var programs: [Program] = []
    /// The first program and map of each name, by index (lookups by name cost one probe).
    private var programsByName: [String: Int] = [:]
    private let mapsByName: [String: Int]
    /// The object's BTF in the kernel, when it was loaded.
    var btf: SharedDescriptor?
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
    /// The slots of `__bpf_usdt_specs` its USDT links hold (``Attach/usdt(_:of:binary:provider:name:pid:cookie:)``).
    let usdtSlots = USDTSpecSlots()

    init(spec: ObjectSpec) {
        self.spec = spec
        maps = Array(repeating: nil, count: spec.maps.count)
        mapsByName = Dictionary(spec.maps.enumerated().map { ($1.name, $0) }) { first, _ in first }
    }

    deinit {
        for path in pinsMadeByLoad { unlink(path) }
    }

    /// Records a created map, at the index of its spec.
    mutating func set(_ map: Map, at index: Int) { maps[index] = map }

    /// Records a loaded program.
    mutating func append(_ program: Program) {
        if programsByName[program.name] == nil { programsByName[program.name] = programs.count }
        programs.append(program)
    }

    mutating func reserveProgramCapacity(_ count: Int) { programs.reserveCapacity(count) }

    /// The descriptor of created map `index` for a command issued while this object lives.
    func mapDescriptor(at index: Int) -> Int32? { maps[index]?.descriptor.rawValue }

    /// Whether the object's BTF is in the kernel (when the kernel refuses it, maps and programs load without it).
    public var hasBTF: Bool { btf != nil }

    /// Names of the loaded programs, in load order.
    public var programNames: [String] { programs.map(\.name) }

    /// The loaded program named `name` (the first, when several share it).
    public func program(named name: String) -> Program? { programsByName[name].map { programs[$0] } }

    /// The created map named `name` (the first, when several share it).
    public func map(named name: String) -> Map? { mapsByName[name].flatMap { maps[$0] } }
}
