import BPFObject
import ELF64
import Glibc
import Synchronization

/// An object's maps and programs in the kernel. Each ``Program`` and ``Map`` owns its descriptor
/// (and lives as long as anyone holds it); a failed load drops everything it made, so nothing leaks.
public struct LoadedObject: ~Copyable {
    public let spec: ObjectSpec
    /// The created maps, in the order of `spec.maps` (nil: not created).
    public private(set) var maps: [Map?]
    /// The loaded programs, in load order.
    public private(set) var programs: [Program] = []
    /// The first program and map of each name, by index, for objects with more than a few (made
    /// on the first lookup by name, then one probe a lookup); a few are searched in place.
    private let programsByName: FirstIndexByName?
    private let mapsByName: FirstIndexByName?
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
    /// The slots of `__bpf_usdt_specs` its USDT links hold (``Attach/usdt(_:of:binary:provider:name:pid:cookie:)``);
    /// nil for an object without that map (no lock made for the loads that never attach USDT).
    let usdtSlots: USDTSpecSlots?

    /// An object of `spec` with nothing created yet (the spec is taken, not copied again).
    init(spec: consuming ObjectSpec) {
        maps = [Map?](filling: spec.maps.count, with: nil)  // (no run-time metadata lookup, as repeating: has)
        programsByName = FirstIndexByName.forList(of: spec.programs.count)
        mapsByName = FirstIndexByName.forList(of: spec.maps.count)
        usdtSlots = spec.maps.contains { $0.name == "__bpf_usdt_specs" } ? USDTSpecSlots() : nil
        self.spec = spec
    }

    deinit {
        for path in pinsMadeByLoad { unlink(path) }
    }

    /// Records a created map, at the index of its spec.
    mutating func set(_ map: Map, at index: Int) { maps[index] = map }

    /// Records a loaded program.
    mutating func append(_ program: Program) {
        programs.append(program)
        programsByName?.forget()
    }

    mutating func reserveProgramCapacity(_ count: Int) { programs.reserveCapacity(count) }

    /// The descriptor of created map `index` for a command issued while this object lives.
    func mapDescriptor(at index: Int) -> Int32? { maps[index]?.descriptor.rawValue }

    /// Whether the object's BTF is in the kernel (when the kernel refuses it, maps and programs load without it).
    public var hasBTF: Bool { btf != nil }

    /// Names of the loaded programs, in load order.
    public var programNames: [String] { programs.map(\.name) }

    /// The loaded program named `name` (the first, when several share it).
    public func program(named name: String) -> Program? {
        FirstIndexByName.index(of: name, in: programsByName, programs.count) { programs[$0].name }.map { programs[$0] }
    }

    /// The created map named `name` (the first, when several share it).
    public func map(named name: String) -> Map? {
        FirstIndexByName.index(of: name, in: mapsByName, spec.maps.count) { spec.maps[$0].name }.flatMap { maps[$0] }
    }
}

/// The first index of each name in a list, made when first asked for and forgotten when the list
/// grows. Names compare as Swift strings (canonically equivalent names are one name), in the
/// table as in the search in place, as `ObjectSpec.map(named:)` and the slot checks compare them.
final class FirstIndexByName: Sendable {
    private let table = Mutex<[String: Int]?>(nil)
    /// Lists of up to this many names are searched in place, with no table.
    private static let searchLimit = 16

    /// A table for a list that may hold `count` names; nil when a search in place will do (a
    /// function, not a failable init: a class's init allocates before it can fail).
    static func forList(of count: Int) -> FirstIndexByName? { count > searchLimit ? FirstIndexByName() : nil }

    /// The index of the first of `count` names equal to `name`, through `table` when there is one.
    static func index(
        of name: String, in table: FirstIndexByName?, _ count: Int, _ nameAt: (Int) -> String
    ) -> Int? {
        guard let table, count > searchLimit else { return (0..<count).first { nameAt($0) == name } }
        return table.index(of: name) { (0..<count).map(nameAt) }
    }

    /// The index of the first of `names()` equal to `name`; `names` is read only to make the table.
    func index(of name: String, names: () -> [String]) -> Int? {
        table.withLock { table in
            if table == nil {
                let list = names()
                var made: [String: Int] = [:]
                made.reserveCapacity(list.count)
                for (index, name) in list.enumerated() where made[name] == nil { made[name] = index }
                table = made
            }
            return table?[name]
        }
    }

    /// Drops the table (the list changed).
    func forget() { table.withLock { $0 = nil } }
}
