import BPFObject
import ELF64
import Glibc

/// What a BPF token allows: one bit per `bpf(2)` command, map type, program type and attach type
/// (bit `n` for the uapi value `n`), as the kernel reports it in the token's fdinfo.
public struct TokenDelegation: Sendable, Equatable, CustomStringConvertible {
    public var commands: UInt64
    public var mapTypes: UInt64
    public var programTypes: UInt64
    public var attachTypes: UInt64

    public init(commands: UInt64, mapTypes: UInt64, programTypes: UInt64, attachTypes: UInt64) {
        self.commands = commands
        self.mapTypes = mapTypes
        self.programTypes = programTypes
        self.attachTypes = attachTypes
    }

    /// Everything.
    public static let any = TokenDelegation(commands: ~0, mapTypes: ~0, programTypes: ~0, attachTypes: ~0)

    /// Reads `allowed_cmds`, `allowed_maps`, `allowed_progs` and `allowed_attachs` (each `any` or a
    /// hexadecimal mask) from the token's `/proc/self/fdinfo` entry.
    init(token: borrowing FileDescriptor) throws(TokenError) {
        let path = "/proc/self/fdinfo/\(token.rawValue)"
        let storage: ByteStorage
        do { storage = try ByteStorage(contentsOfFile: path) } catch {
            throw .unreadableDelegation("cannot read \(path): \(error)")
        }
        var masks: [String: UInt64] = [:]
        for line in storage.text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].hasPrefix("allowed_") else { continue }
            let value = parts[1].drop { $0 == " " || $0 == "\t" }
            if value == "any" {
                masks[String(parts[0])] = ~0
            } else if value.hasPrefix("0x"), let mask = UInt64(value.dropFirst(2), radix: 16) {
                masks[String(parts[0])] = mask
            }
        }
        guard let commands = masks["allowed_cmds"], let maps = masks["allowed_maps"],
            let programs = masks["allowed_progs"], let attachs = masks["allowed_attachs"]
        else { throw .unreadableDelegation("\(path) does not describe a BPF token") }
        self.init(commands: commands, mapTypes: maps, programTypes: programs, attachTypes: attachs)
    }

    /// What this delegation lacks for a command and, where given, a map type or a program type
    /// with its expected attach type; nil when it allows all of them.
    public func missing(
        command: Int, mapType: MapType? = nil, programType: ProgramType? = nil, attachType: AttachType? = nil
    ) -> MissingDelegation? {
        if !Self.has(commands, command) { return .command(Self.commandName(command)) }
        if let mapType, !Self.has(mapTypes, Int(mapType.rawValue)) { return .mapType(mapType) }
        if let programType, !Self.has(programTypes, Int(programType.rawValue)) { return .programType(programType) }
        // A program type comes with its attach type (0 when the program names none).
        if programType != nil, !Self.has(attachTypes, Int(attachType?.rawValue ?? 0)) {
            return .attachType(attachType ?? AttachType(rawValue: 0))
        }
        return nil
    }

    public var description: String {
        func mask(_ value: UInt64) -> String { value == ~0 ? "any" : "0x" + String(value, radix: 16) }
        return "commands \(mask(commands)), maps \(mask(mapTypes)), programs \(mask(programTypes)), "
            + "attach types \(mask(attachTypes))"
    }

    private static func has(_ mask: UInt64, _ bit: Int) -> Bool { bit >= 0 && bit < 64 && mask & (1 << bit) != 0 }

    /// `enum bpf_cmd` names as the `delegate_cmds` mount option spells them.
    static let commandNames = [
        "map_create", "map_lookup_elem", "map_update_elem", "map_delete_elem", "map_get_next_key", "prog_load",
        "obj_pin", "obj_get", "prog_attach", "prog_detach", "prog_test_run", "prog_get_next_id", "map_get_next_id",
        "prog_get_fd_by_id", "map_get_fd_by_id", "obj_get_info_by_fd", "prog_query", "raw_tracepoint_open",
        "btf_load", "btf_get_fd_by_id", "task_fd_query", "map_lookup_and_delete_elem", "map_freeze",
        "btf_get_next_id", "map_lookup_batch", "map_lookup_and_delete_batch", "map_update_batch",
        "map_delete_batch", "link_create", "link_update", "link_get_fd_by_id", "link_get_next_id", "enable_stats",
        "iter_create", "link_detach", "prog_bind_map", "token_create",
    ]

    static func commandName(_ command: Int) -> String {
        command >= 0 && command < commandNames.count ? commandNames[command] : "command \(command)"
    }
}

/// The delegation a token lacks for an operation, named as the bpffs mount option that would grant it.
public enum MissingDelegation: Sendable, Equatable, CustomStringConvertible {
    /// A bpf(2) command (`delegate_cmds`), by its option name (`map_create`, `prog_load`, `btf_load`).
    case command(String)
    /// A map type (`delegate_maps`).
    case mapType(MapType)
    /// A program type (`delegate_progs`).
    case programType(ProgramType)
    /// An attach type (`delegate_attachs`).
    case attachType(AttachType)

    public var description: String {
        switch self {
        case let .command(name): "command \(name) (delegate_cmds)"
        case let .mapType(type): "map type \(type) (delegate_maps)"
        case let .programType(type): "program type \(type) (delegate_progs)"
        case let .attachType(type) where type.rawValue == 0:
            "attach type 0, which a program naming none loads with (delegate_attachs)"
        case let .attachType(type): "attach type \(type) (delegate_attachs)"
        }
    }
}
