import BPFObject
import BTF
import Glibc
import Synchronization

/// What this kernel supports, found by trying, once per process, thread-safely.
public enum Features {
    /// Whether `BPF_PROG_BIND_MAP` works: a one-entry array map is bound to a
    /// `r0 = 0; exit` socket filter. Everything the probe makes is closed.
    /// Kernels without the command (`EINVAL`) report false rather than failing.
    public static var programBindMap: Bool { FeatureCache.host.programBindMap }

    /// The BTF kinds this kernel accepts, each found by loading a small blob that uses it.
    public static var btfKinds: BTFKindSupport { FeatureCache.host.btfKinds }

    /// Whether `BPF_TRACE_UPROBE_MULTI` links work (Linux 6.6): a program loaded for them, linked to
    /// a uprobe in `/`, is refused with `EBADF` (the path) rather than `EINVAL` (the attach type).
    public static var uprobeMultiLinks: Bool { FeatureCache.host.uprobeMultiLinks }

    /// How many times the `BPF_PROG_BIND_MAP` probe has actually run in this process (once, however many ask).
    public static var programBindMapProbeRuns: Int { FeatureCache.host.bindProbeRuns }
}

/// The features the loader relies on, probed on first need and then remembered: once per process
/// for the host's own rights, once per token for what a ``BPFToken`` allows (a token may delegate
/// less than the kernel supports, so its answers are its own).
final class FeatureCache: Sendable {
    static let host = FeatureCache(token: nil)

    /// The token descriptor every probe passes (its owner outlives the cache's use).
    private let token: Int32?
    private let bind = Mutex<Bool?>(nil)
    private let kinds = Mutex<BTFKindSupport?>(nil)
    private let uprobeMulti = Mutex<Bool?>(nil)
    private let cookies = Mutex<Bool?>(nil)
    private let bindRuns = Atomic<Int>(0)

    init(token: Int32?) { self.token = token }

    var bindProbeRuns: Int { bindRuns.load(ordering: .relaxed) }

    var programBindMap: Bool {
        bind.withLock { cached in
            if let cached { return cached }
            bindRuns.add(1, ordering: .relaxed)
            let found = probeProgramBindMap()
            cached = found
            return found
        }
    }

    var btfKinds: BTFKindSupport {
        kinds.withLock { cached in
            if let cached { return cached }
            let found = probeBTFKinds()
            cached = found
            return found
        }
    }

    var uprobeMultiLinks: Bool {
        uprobeMulti.withLock { cached in
            if let cached { return cached }
            let found = probeUprobeMultiLinks()
            cached = found
            return found
        }
    }

    /// Whether programs can read their attach cookie (`bpf_get_attach_cookie`, Linux 5.15): what
    /// libbpf's `LINUX_HAS_BPF_COOKIE` says, found as libbpf finds it, by loading a tracepoint
    /// program that calls the helper.
    var attachCookies: Bool {
        cookies.withLock { cached in
            if let cached { return cached }
            var attributes = probeProgram(.tracepoint, name: "sbpf_probe_ck")
            attributes.instructions.insert(Instruction(opcode: 0x85, immediate: 174), at: 0)  // call get_attach_cookie
            let found = (try? ProgramCommands.load(attributes)) != nil
            cached = found
            return found
        }
    }

    private func probeUprobeMultiLinks() -> Bool {
        do {
            var attributes = probeProgram(.kprobe, name: "sbpf_probe_upm")
            attributes.expectedAttachType = .traceUprobeMulti
            let program = try ProgramCommands.load(attributes)
            do {
                _ = try LinkCommands.createUprobeMulti(
                    program: program.rawValue, path: "/", offsets: [0], referenceCounterOffsets: [], cookies: [],
                    returnProbe: false, pid: -1)
                return false  // a uprobe in a directory: never made
            } catch {
                return error.errno == EBADF
            }
        } catch {
            return false
        }
    }

    /// `r0 = 0; exit` of `type`, named, under this cache's token: what a probe loads.
    private func probeProgram(_ type: ProgramType, name: String) -> ProgramAttributes {
        .returningZero(type, name: name, token: token)
    }

    private func probeProgramBindMap() -> Bool {
        do {
            var map = MapAttributes(type: .array, keySize: 4, valueSize: 4, maxEntries: 1, name: "sbpf_probe_bind")
            map.token = token
            let mapFD = try MapCommands.create(map)
            let program = try ProgramCommands.load(probeProgram(.socketFilter, name: "sbpf_probe_bind"))
            try ProgramCommands.bindMap(program: program.rawValue, map: mapFD.rawValue)
            return true
        } catch {
            return false
        }
    }

    private func probeBTFKinds() -> BTFKindSupport {
        var supported: BTFKindSupport = []
        let int = TypeRecord.int("int", size: 4, encoding: .signed)
        let proto = TypeRecord(kind: .functionProto, vlen: 1, sizeOrType: 1, trailing: [.name("x"), .value(1)])
        let candidates: [(BTFKindSupport, [TypeRecord])] = [
            (.functions, [int, proto, TypeRecord(kind: .function, name: "f", vlen: 0, sizeOrType: 2)]),
            (.globalFunctions, [int, proto, TypeRecord(kind: .function, name: "f", vlen: 1, sizeOrType: 2)]),
            (
                .dataSections,
                [
                    int, TypeRecord(kind: .variable, name: "v", sizeOrType: 1, trailing: [.value(0)]),
                    TypeRecord(
                        kind: .dataSection, name: ".data", vlen: 1, sizeOrType: 4,
                        trailing: [.value(2), .value(0), .value(4)]),
                ]
            ),
            (.float, [TypeRecord(kind: .float, name: "float", sizeOrType: 4)]),
            (
                .declTag,
                [
                    int, TypeRecord(kind: .variable, name: "v", sizeOrType: 1, trailing: [.value(0)]),
                    TypeRecord(kind: .declTag, name: "tag", sizeOrType: 2, trailing: [.value(UInt32(bitPattern: -1))]),
                ]
            ),
            (.typeTag, [int, TypeRecord(kind: .typeTag, name: "tag", sizeOrType: 1), .pointer(to: 2)]),
            (
                .enum64,
                [
                    TypeRecord(
                        kind: .enum64, name: "e", vlen: 1, sizeOrType: 8, trailing: [.name("A"), .value(1), .value(1)])
                ]
            ),
        ]
        for (feature, types) in candidates {
            if (try? BTFCommands.load(BTFBuilder(types: types).encode(byteOrder: .host), token: token)) != nil {
                supported.insert(feature)
            }
        }
        return supported
    }
}

extension ProgramAttributes {
    /// `r0 = 0; exit` of `type`, named, through `token`: the program every feature probe loads.
    static func returningZero(_ type: ProgramType, name: String, token: Int32?) -> ProgramAttributes {
        var attributes = ProgramAttributes(
            type: type,
            instructions: [
                Instruction(opcode: 0xb7, destination: 0, immediate: 0),  // r0 = 0
                Instruction(opcode: 0x95),  // exit
            ], license: "GPL")
        attributes.name = name
        attributes.token = token
        return attributes
    }
}
