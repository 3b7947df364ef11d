import BPF
import BPFObject
import Glibc

/// `swiftbpf map list|show|dump`.
enum MapCommand {
    static let help = """
        usage: swiftbpf map list [--json]
               swiftbpf map show ID [--json]
               swiftbpf map dump ID | --pinned PATH [--json]

        list/show print maps in the kernel as `bpftool map show` does (id, type,
        name, flags, key/value sizes, max_entries, memlock, btf_id); dump prints
        every entry's key and value as hex bytes (per-CPU maps: one value per CPU).

        examples:
          swiftbpf map list
          swiftbpf map dump 42 --json
          swiftbpf map dump --pinned /sys/fs/bpf/my_map
        """

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: ["pinned"], flags: ["help", "json"], help: help)
        if args.flag("help") { print(help); return }
        switch args.positionals.first {
        case "list", "show":
            var ids = try KernelObjectIDs.all(.map)
            if args.positionals.first == "show" {
                guard args.positionals.count == 2, let id = UInt32(args.positionals[1]) else { throw UsageError(message: "expected 'show ID'", help: help) }
                ids = [id]
            }
            var listings: [(MapInfo, String?)] = []
            for id in ids {
                guard let fd = try? KernelObjectIDs.open(.map, id: id) else { continue }
                listings.append((try MapInfo(descriptor: fd.rawValue), ProgramListing.fdinfo(fd.rawValue, field: "memlock")))
            }
            if args.flag("json") {
                let items = listings.map { json($0.0, memlock: $0.1) }
                print((args.positionals.first == "show" ? items.first ?? .null : .array(items)).rendered())
            } else {
                for (info, memlock) in listings { print(text(info, memlock: memlock), terminator: "") }
            }
        case "dump":
            let fd = try args.openObject(.map, help: help)
            try dump(fd.rawValue, json: args.flag("json"))
        default:
            throw UsageError(message: "expected 'list', 'show' or 'dump'", help: help)
        }
    }

    static func text(_ info: MapInfo, memlock: String?) -> String {
        var out = "\(info.id): \(info.type)  name \(info.name)  flags 0x\(String(info.flags, radix: 16))\n"
        out += "\tkey \(info.keySize)B  value \(info.valueSize)B  max_entries \(info.maxEntries)"
        if let memlock { out += "  memlock \(memlock)B" }
        out += "\n"
        if info.btfID != 0 { out += "\tbtf_id \(info.btfID)\n" }
        return out
    }

    static func json(_ info: MapInfo, memlock: String?) -> JSON {
        var fields: [(String, JSON)] = [
            ("id", .uint(UInt64(info.id))), ("type", .string(info.type.description)), ("name", .string(info.name)),
            ("flags", .uint(UInt64(info.flags))), ("bytes_key", .uint(UInt64(info.keySize))),
            ("bytes_value", .uint(UInt64(info.valueSize))), ("max_entries", .uint(UInt64(info.maxEntries))),
        ]
        if let memlock, let bytes = UInt64(memlock) { fields.append(("bytes_memlock", .uint(bytes))) }
        if info.btfID != 0 { fields.append(("btf_id", .uint(UInt64(info.btfID)))) }
        return .object(fields)
    }

    /// Map types whose lookups return one value per possible CPU.
    static let perCPU: Set<UInt32> = [5, 6, 10, 21]

    static func dump(_ fd: Int32, json asJSON: Bool) throws {
        let info = try MapInfo(descriptor: fd)
        let cpus = perCPU.contains(info.type.rawValue) ? PossibleCPUs.count : 1
        let valueSize = perCPU.contains(info.type.rawValue) ? Int((info.valueSize + 7) / 8 * 8) * cpus : Int(info.valueSize)
        var entries: [([UInt8], [UInt8])] = []
        for key in try MapCommands.keys(descriptor: fd, keySize: Int(info.keySize)) {
            guard let value = try? MapCommands.lookup(descriptor: fd, key: key, valueSize: valueSize) else { continue }
            entries.append((key, value))
        }
        func bytes(_ b: [UInt8]) -> String { b.map { hex($0, digits: 2) }.joined(separator: " ") }
        if asJSON {
            print(JSON.array(entries.map { key, value in
                .object([("key", .array(key.map { .string("0x" + hex($0, digits: 2)) })),
                         ("value", .array(value.map { .string("0x" + hex($0, digits: 2)) }))])
            }).rendered())
        } else {
            for (key, value) in entries { print("key: \(bytes(key))  value: \(bytes(value))") }
            print("Found \(entries.count) element\(entries.count == 1 ? "" : "s")")
        }
    }
}
