import BTF

/// `enum bpf_map_type`.
public struct MapType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    @inlinable public static var hash: MapType { MapType(rawValue: 1) }
    @inlinable public static var array: MapType { MapType(rawValue: 2) }
    @inlinable public static var programArray: MapType { MapType(rawValue: 3) }
    @inlinable public static var perfEventArray: MapType { MapType(rawValue: 4) }
    @inlinable public static var perCPUHash: MapType { MapType(rawValue: 5) }
    @inlinable public static var perCPUArray: MapType { MapType(rawValue: 6) }
    @inlinable public static var lruHash: MapType { MapType(rawValue: 9) }
    @inlinable public static var lpmTrie: MapType { MapType(rawValue: 11) }
    @inlinable public static var arrayOfMaps: MapType { MapType(rawValue: 12) }
    @inlinable public static var hashOfMaps: MapType { MapType(rawValue: 13) }
    @inlinable public static var queue: MapType { MapType(rawValue: 22) }
    @inlinable public static var stack: MapType { MapType(rawValue: 23) }
    @inlinable public static var structOps: MapType { MapType(rawValue: 26) }
    @inlinable public static var ringBuffer: MapType { MapType(rawValue: 27) }
    @inlinable public static var arena: MapType { MapType(rawValue: 33) }

    static let names = [
        "unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash", "percpu_array", "stack_trace",
        "cgroup_array", "lru_hash", "lru_percpu_hash", "lpm_trie", "array_of_maps", "hash_of_maps", "devmap",
        "sockmap", "cpumap", "xskmap", "sockhash", "cgroup_storage", "reuseport_sockarray", "percpu_cgroup_storage",
        "queue", "stack", "sk_storage", "devmap_hash", "struct_ops", "ringbuf", "inode_storage", "task_storage",
        "bloom_filter", "user_ringbuf", "cgrp_storage", "arena", "insn_array",
    ]

    /// The name bpftool prints (`hash`, `percpu_array`, `ringbuf`…).
    public var description: String { Int(rawValue) < Self.names.count ? Self.names[Int(rawValue)] : "type \(rawValue)" }

    /// Whether values are maps (array or hash of maps).
    public var holdsMaps: Bool { self == .arrayOfMaps || self == .hashOfMaps }
    /// Lookups return one value per possible CPU (per-CPU hash, array, LRU hash, cgroup storage).
    public var isPerCPU: Bool { [5, 6, 10, 21].contains(rawValue) }
}

/// `BPF_F_*` map flags the loader sets or checks.
public enum MapFlag {
    public static let readOnlyProgram: UInt32 = 1 << 7
    public static let mmapable: UInt32 = 1 << 10
    /// A struct_ops map registered through a BPF link rather than by its update.
    public static let link: UInt32 = 1 << 13
}

/// Where a map's definition came from.
public enum MapOrigin: Hashable, Sendable, CustomStringConvertible {
    /// A `SEC(".maps")` variable described by BTF.
    case btf
    /// A `struct bpf_map_def` (or iproute2's larger layout) in `maps` or `maps/…`.
    case legacy
    /// Global data: the bytes of an ELF section (`.data`, `.rodata.*`, `.bss`…), one array entry.
    case data(section: String, readOnly: Bool)
    /// A variable of a kernel ops struct in `.struct_ops` or `.struct_ops.link`.
    case structOps(section: String)

    public var description: String {
        switch self {
        case .btf: "BTF"
        case .legacy: "legacy"
        case let .data(section, readOnly): "data \(section)\(readOnly ? " (read-only)" : "")"
        case let .structOps(section): section
        }
    }
}

/// What an initial value of a program array or map-of-maps slot names.
public enum SlotReference: Hashable, Sendable {
    case program(String)
    case map(String)
}

/// A map as the object declares it, before any kernel object exists.
public struct MapSpec: Sendable {
    public var name: String
    public var type: MapType
    public var keySize: UInt32
    public var valueSize: UInt32
    public var maxEntries: UInt32
    public var flags: UInt32
    public var numaNode: UInt32 = 0
    /// `LIBBPF_PIN_BY_NAME` is 1; iproute2's and cilium's own values pass through.
    public var pinning: UInt32 = 0
    public var mapExtra: UInt64 = 0
    /// BTF ids (in the object's BTF) of the key and value types, 0 when unknown.
    public var keyTypeID: TypeID = 0
    public var valueTypeID: TypeID = 0
    public var origin: MapOrigin
    /// The ELF section and byte offset of the definition (or of the data, for global data).
    public var sectionIndex: Int
    public var offset: UInt64 = 0
    /// The template of the inner maps, for array/hash of maps.
    public var innerMap: InnerMapSpec?
    /// Initial contents: global data bytes, one value (empty for `.bss`: the kernel zero-fills it).
    public var contents: [UInt8] = []
    /// Initial slots of a program array or map of maps: key → what goes there.
    public var slots: [UInt32: SlotReference] = [:]
    /// Where a BTF definition's `values` member starts (its slots' relocations lie past it).
    var valuesOffset: UInt64?
    /// The ops struct a struct_ops map fills and the programs it names.
    public var structOps: StructOpsSpec?
    /// Whether the loader creates the map (libbpf's `bpf_map__set_autocreate`; false for `SEC("?.struct_ops")`).
    public var autoCreate = true

    public init(
        name: String, type: MapType, keySize: UInt32, valueSize: UInt32, maxEntries: UInt32, flags: UInt32,
        origin: MapOrigin, sectionIndex: Int
    ) {
        self.name = name
        self.type = type
        self.keySize = keySize
        self.valueSize = valueSize
        self.maxEntries = maxEntries
        self.flags = flags
        self.origin = origin
        self.sectionIndex = sectionIndex
    }

    /// A `.maps` map before its BTF definition is read: every field zero.
    init(btfNamed name: String, sectionIndex: Int) {
        self.init(
            name: name, type: MapType(rawValue: 0), keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, origin: .btf,
            sectionIndex: sectionIndex)
    }

    /// ``slots`` in key order.
    public var slotsByKey: [(key: UInt32, value: SlotReference)] { slots.sorted { $0.key < $1.key } }

    /// Global data that programs may not write (`.rodata*`): frozen after it is filled.
    public var isReadOnlyData: Bool {
        if case .data(_, true) = origin { return true }
        return false
    }

    /// The map of `.rodata` or `.metadata`, where program metadata (`bpf_metadata_*`) lives: what a
    /// load binds to every program, as libbpf binds `.rodata` (custom `.rodata.*` sections are not).
    public var holdsProgramMetadata: Bool {
        if case let .data(section, true) = origin { return section == ".rodata" || section == ".metadata" }
        return false
    }
}

/// The inner-map template of a map of maps (a class, since a spec cannot hold itself).
public final class InnerMapSpec: Sendable {
    public let spec: MapSpec
    public init(_ spec: MapSpec) { self.spec = spec }
}
