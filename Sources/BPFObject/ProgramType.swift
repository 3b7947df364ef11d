import ELF64
import Glibc

/// `enum bpf_prog_type`.
public struct ProgramType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    @inlinable public static var unspecified: ProgramType { ProgramType(rawValue: 0) }

    /// The type whose short name (`xdp`) or uapi name (`BPF_PROG_TYPE_XDP`) is `name`.
    public static func named(_ name: String) -> ProgramType? {
        names.first { $0.value == name || $0.value == "BPF_PROG_TYPE_" + name.uppercased() }.map {
            ProgramType(rawValue: $0.key)
        }
    }

    /// The uapi name, e.g. `BPF_PROG_TYPE_XDP`.
    public var uapiName: String { Self.names[rawValue] ?? "BPF_PROG_TYPE_\(rawValue)" }

    /// The short name bpftool prints, e.g. `xdp`, `socket_filter`, `sched_cls`.
    public var description: String {
        Self.names[rawValue].map { String($0.dropFirst("BPF_PROG_TYPE_".count)).lowercased() } ?? "type \(rawValue)"
    }
}

/// `enum bpf_attach_type`.
public struct AttachType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The uapi name, e.g. `BPF_CGROUP_INET_INGRESS`.
    public var description: String { Self.names[rawValue] ?? "attach type \(rawValue)" }

    /// The type whose uapi name is `name`, with or without `BPF_` and in either case
    /// (`BPF_CGROUP_INET4_CONNECT`, `cgroup_inet4_connect`).
    public static func named(_ name: String) -> AttachType? {
        let wanted = name.uppercased()
        return names.first { $0.value == wanted || $0.value == "BPF_" + wanted }.map { AttachType(rawValue: $0.key) }
    }
}

/// libbpf's `SEC_*` flags of a section definition.
public struct SectionFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Load with `BPF_F_SLEEPABLE`.
    @inlinable public static var sleepable: SectionFlags { SectionFlags(rawValue: 1) }
    /// Load with `BPF_F_XDP_HAS_FRAGS`.
    @inlinable public static var xdpFragments: SectionFlags { SectionFlags(rawValue: 2) }
    /// `attach_btf_id` comes from the target named after the `/` in kernel BTF.
    @inlinable public static var attachBTF: SectionFlags { SectionFlags(rawValue: 4) }
    /// The expected attach type is sent at load.
    @inlinable public static var attachable: SectionFlags { SectionFlags(rawValue: 8) }
    /// The expected attach type is sent where the kernel accepts it.
    @inlinable public static var attachableOptional: SectionFlags { SectionFlags(rawValue: 16) }
    /// A USDT program.
    @inlinable public static var usdt: SectionFlags { SectionFlags(rawValue: 32) }
}

/// One row of libbpf's section table.
struct SectionDefinition: Sendable {
    let pattern: String
    let programType: ProgramType
    let attachType: AttachType?
    let flags: SectionFlags

    init(_ pattern: String, _ programType: ProgramType, _ attachType: AttachType?, _ flags: SectionFlags) {
        self.pattern = pattern
        self.programType = programType
        self.attachType = attachType
        self.flags = flags
    }

    /// The pattern without its trailing `+`.
    var prefix: Substring { pattern.hasSuffix("+") ? pattern.dropLast() : Substring(pattern) }
}

/// What a section name says about the programs in it.
public struct ProgramKind: Hashable, Sendable {
    public let programType: ProgramType
    public let expectedAttachType: AttachType?
    public let flags: SectionFlags
    /// The part after `/` for `prefix+` patterns: a function, tracepoint `category/name`, BTF name…
    public let attachTarget: String?
    /// The libbpf pattern that matched, e.g. `kprobe+`.
    public let pattern: String
    /// Whether only libbpf's pre-1.0 prefix rule matched (`xdp/foo`, `socket/2`).
    public let legacyMatch: Bool

    /// The program kind a section named `section` declares, as libbpf decides: first match wins,
    /// `prefix+` matches `prefix` or `prefix/…`, other patterns match exactly; failing all that,
    /// the pre-1.0 rule (a pattern's prefix starts the name). `nil` when no definition matches.
    public init?(section: String) {
        var section = section
        guard let (definition, target, legacy) = section.withUTF8({ Self.match($0) }) else { return nil }
        self.init(sectionDefinitions[definition], target: target, legacy: legacy)
    }

    /// The index of the definition `name` matches, the target after its `/`, and whether only the legacy rule matched.
    private static func match(_ name: UnsafeBufferPointer<UInt8>) -> (Int, String?, Bool)? {
        let slash = UInt8(ascii: "/")
        guard let first = name.first else { return nil }
        let table = compiled
        let candidates = table.byFirstByte[Int(first)]
        return table.prefixes.withUnsafeBufferPointer { prefixes in
            table.patterns.withUnsafeBufferPointer { patterns in
                func prefix(_ p: Pattern) -> UnsafeBufferPointer<UInt8> {
                    UnsafeBufferPointer(rebasing: prefixes[p.start..<p.start + p.length])
                }
                func target(after length: Int) -> String? {
                    length < name.count && name[length] == slash
                        ? String(
                            repairing: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: name[(length + 1)...])))
                        : nil
                }
                // Prefixes compared with memcmp (Sequence.starts(with:) goes a byte at a time).
                func starts(with p: Pattern) -> Bool {
                    guard p.length <= name.count else { return false }
                    guard p.length > 0, let a = name.baseAddress, let b = prefix(p).baseAddress else { return true }
                    return memcmp(a, b, p.length) == 0
                }
                for p in patterns[candidates] where starts(with: p) {
                    if name.count == p.length { return (p.definition, nil, false) }
                    if p.plus, name[p.length] == slash { return (p.definition, target(after: p.length), false) }
                }
                for p in patterns[candidates] where starts(with: p) {
                    return (p.definition, target(after: p.length), true)
                }
                return nil
            }
        }
    }

    /// One pattern of the section table: its prefix's place in ``Compiled/prefixes``, whether it ends in `+`, its row.
    private struct Pattern {
        let start: Int, length: Int
        let plus: Bool
        let definition: Int
    }

    /// The section table as bytes, patterns grouped by first byte (table order kept), built once.
    private struct Compiled: Sendable {
        var prefixes: [UInt8] = []
        var patterns: [Pattern] = []
        var byFirstByte = [Range<Int>](repeating: 0..<0, count: 256)
    }

    /// Built once per process in one pass over the table (rows grouped by first byte, in table order).
    private static let compiled: Compiled = {
        var table = Compiled()
        var rows = [[Int]](repeating: [], count: 256)
        for (index, d) in sectionDefinitions.enumerated() {
            if let first = d.prefix.utf8.first { rows[Int(first)].append(index) }
        }
        for byte in 0...255 {
            let start = table.patterns.count
            for index in rows[byte] {
                let d = sectionDefinitions[index], prefix = d.prefix.utf8
                table.patterns.append(
                    Pattern(
                        start: table.prefixes.count, length: prefix.count, plus: d.pattern.hasSuffix("+"),
                        definition: index))
                table.prefixes += prefix
            }
            table.byFirstByte[byte] = start..<table.patterns.count
        }
        return table
    }()

    private init(_ d: SectionDefinition, target: String?, legacy: Bool) {
        programType = d.programType
        expectedAttachType = d.attachType
        flags = d.flags
        attachTarget = target.flatMap { $0.isEmpty ? nil : $0 }
        pattern = d.pattern
        legacyMatch = legacy
    }
}
