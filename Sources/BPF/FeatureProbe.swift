import BPFObject
import BTF
import Glibc

/// What a probe found out about one program or map type.
public enum ProbeResult: String, Sendable {
    case supported
    case unsupported
    /// The type needs a kernel attach target (tracing, lsm, ext, struct_ops) or kernel BTF
    /// (local storage, struct_ops, arena maps) that a blind probe cannot give it.
    case notProbed = "not probed"
}

/// What this kernel supports, found by trying: the `swiftbpf feature probe` report.
public struct FeatureReport: Sendable {
    public var programTypes: [(type: ProgramType, result: ProbeResult)] = []
    public var mapTypes: [(type: MapType, result: ProbeResult)] = []
    /// Notable commands and features by name (`BPF_PROG_BIND_MAP`, `BTF_KIND_ENUM64`…).
    public var features: [(name: String, supported: Bool)] = []
}

extension Features {
    /// Probes every program type (a `r0 = 0; exit` program), every map type (a minimal map),
    /// and the features the loader relies on. Everything created is closed again.
    public static func probe() -> FeatureReport { probe(token: nil, .host) }

    /// ``probe()`` through a BPF token: what the token allows (its delegation and the kernel's support).
    public static func probe(with token: borrowing BPFToken) -> FeatureReport {
        probe(token: token.descriptor.rawValue, token.features)
    }

    private static func probe(token: Int32?, _ cache: FeatureCache) -> FeatureReport {
        var report = FeatureReport()
        for raw in UInt32(1)...32 {
            let type = ProgramType(rawValue: raw)
            report.programTypes.append((type, probe(type, token: token)))
        }
        for raw in UInt32(1)...33 {
            let type = MapType(rawValue: raw)
            report.mapTypes.append((type, probe(type, token: token)))
        }
        report.features.append(("BPF_PROG_BIND_MAP", cache.programBindMap))
        let kinds: [(String, BTFKindSupport)] = [
            ("BTF_KIND_FUNC", .functions), ("BTF_KIND_FUNC global linkage", .globalFunctions),
            ("BTF_KIND_VAR/DATASEC", .dataSections), ("BTF_KIND_FLOAT", .float), ("BTF_KIND_DECL_TAG", .declTag),
            ("BTF_KIND_TYPE_TAG", .typeTag), ("BTF_KIND_ENUM64", .enum64),
        ]
        let supported = cache.btfKinds
        for (name, kind) in kinds { report.features.append((name, supported.contains(kind))) }
        return report
    }

    /// Program types a blind probe cannot load: they attach to kernel BTF ids or other programs.
    private static let needsTarget: Set<UInt32> = [26, 27, 28, 29]  // tracing, struct_ops, ext, lsm

    private static func probe(_ type: ProgramType, token: Int32?) -> ProbeResult {
        if needsTarget.contains(type.rawValue) { return .notProbed }
        var attributes = ProgramAttributes.returningZero(type, name: "sbpf_probe", token: token)
        // Types that refuse a load without these (connect4, getsockopt, sk_lookup, netfilter; syscall is sleepable-only).
        let attachTypes: [UInt32: UInt32] = [18: 10, 25: 21, 30: 36, 32: 45]
        attributes.expectedAttachType = attachTypes[type.rawValue].map(AttachType.init(rawValue:))
        if type.rawValue == 31 { attributes.flags = ProgramCommands.sleepable }
        return (try? ProgramCommands.load(attributes)) != nil ? .supported : .unsupported
    }

    private static func probe(_ type: MapType, token: Int32?) -> ProbeResult {
        let page = UInt32(sysconf(Int32(_SC_PAGESIZE)))
        var attributes = MapAttributes(type: type, keySize: 4, valueSize: 4, maxEntries: 1, name: "sbpf_probe")
        attributes.token = token
        switch type.rawValue {
        case 24, 26, 28, 29, 32, 33: return .notProbed  // sk/inode/task/cgrp storage, struct_ops, arena: need BTF
        case 7: attributes.valueSize = 8  // stack_trace: one u64 ip
        case 11: (attributes.keySize, attributes.flags) = (8, 1)  // lpm_trie: prefix + u32, BPF_F_NO_PREALLOC
        // cgroup storage: struct bpf_cgroup_storage_key
        case 19, 21: (attributes.keySize, attributes.maxEntries) = (16, 0)
        case 22, 23, 30: attributes.keySize = 0  // queue, stack, bloom filter
        case 27, 31: (attributes.keySize, attributes.valueSize, attributes.maxEntries) = (0, 0, page)  // ring buffers
        default: break
        }
        if type.holdsMaps {
            var innerAttributes = MapAttributes(
                type: .array, keySize: 4, valueSize: 4, maxEntries: 1, name: "sbpf_probe")
            innerAttributes.token = token
            guard let inner = try? MapCommands.create(innerAttributes) else {
                return .unsupported
            }
            return (try? MapCommands.create(attributes, innerMap: inner.rawValue)) != nil ? .supported : .unsupported
        }
        return (try? MapCommands.create(attributes)) != nil ? .supported : .unsupported
    }
}
