import BPF
import BPFObject
import BTF
import ELF64
import Glibc

/// `swiftbpf map list|show|dump|lookup|update|delete`.
enum MapCommand {
    static let help = """
        usage: swiftbpf map list [--json]
               swiftbpf map show ID [--json]
               swiftbpf map dump ID | --pinned PATH [--json]
               swiftbpf map lookup ID | --pinned PATH key BYTES...
               swiftbpf map update ID | --pinned PATH key BYTES... value BYTES... [--flags any|noexist|exist]
               swiftbpf map delete ID | --pinned PATH key BYTES...

        list/show print maps in the kernel as `bpftool map show` does (id, type,
        name, flags, key/value sizes, max_entries, memlock, btf_id); dump prints
        every entry as `bpftool map dump` does: through the map's BTF when it has
        one (structs by member, enums by name), as hex bytes otherwise; --json
        gives both, as bpftool -j does (per-CPU maps: one value per CPU).
        lookup, update and delete take keys and values as hex bytes, one per
        word (`0x2a`, `2a`) or run together (`2a000000`); they must fill the
        map's key and value sizes exactly.

        examples:
          swiftbpf map list
          swiftbpf map dump 42 --json
          swiftbpf map dump --pinned /sys/fs/bpf/my_map
          swiftbpf map update 42 key 01 00 00 00 value 0x10 0 0 0 0 0 0 0
          swiftbpf map lookup --pinned /sys/fs/bpf/my_map key 01000000
          swiftbpf map delete 42 key 1 0 0 0
        """

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: ["pinned", "flags"], flags: ["help", "json"], help: help)
        if args.flag("help") { print(help); return }
        switch args.positionals.first {
        case "list", "show":
            var ids = try KernelObjectIDs.all(.map)
            if args.positionals.first == "show" {
                guard args.positionals.count == 2, let id = UInt32(args.positionals[1]) else {
                    throw UsageError(message: "expected 'show ID'", help: help)
                }
                ids = [id]
            }
            var listings: [(MapInfo, String?)] = []
            for id in ids {
                guard let fd = try? KernelObjectIDs.open(.map, id: id) else { continue }
                listings.append((try MapInfo(of: fd), ProgramListing.fdinfo(fd.rawValue, field: "memlock")))
            }
            if args.flag("json") {
                let items = listings.map { json($0.0, memlock: $0.1) }
                print((args.positionals.first == "show" ? items.first ?? .null : .array(items)).rendered())
            } else {
                for (info, memlock) in listings { print(text(info, memlock: memlock), terminator: "") }
            }
        case "dump":
            try dump(try Map(opened: try args.openObject(.map, help: help)), json: args.flag("json"))
        case "lookup", "update", "delete":
            try element(args)
        default:
            throw UsageError(message: "expected 'list', 'show', 'dump', 'lookup', 'update' or 'delete'", help: help)
        }
    }

    /// `lookup`, `update` and `delete` of one element given as hex bytes.
    static func element(_ args: Arguments) throws {
        let verb = args.positionals[0]
        var words = args.positionals.dropFirst()
        var target = args
        if args.option("pinned") == nil {
            guard let id = words.popFirst() else {
                throw UsageError(message: "expected '\(verb) ID' or '\(verb) --pinned PATH'", help: help)
            }
            target = args.with(positionals: [verb, id])
        } else {
            target = args.with(positionals: [verb])
        }
        guard words.popFirst() == "key", let valueAt = verb == "update" ? words.firstIndex(of: "value") : words.endIndex
        else {
            throw UsageError(
                message: verb == "update" ? "expected 'key BYTES... value BYTES...'" : "expected 'key BYTES...'",
                help: help)
        }
        let key = try hexBytes(words[..<valueAt])
        let value = try hexBytes(words[valueAt...].dropFirst())
        let map = try Map(opened: try target.openObject(.map, help: help))
        let info = try map.info()
        guard key.count == Int(info.keySize) else {
            throw CommandFailure(
                description: "the key has \(key.count) bytes; map \(info.id) (\(info.name)) takes \(info.keySize)")
        }
        switch verb {
        case "lookup":
            guard let found = try map.lookup(key) else {
                throw SyscallError(operation: "BPF_MAP_LOOKUP_ELEM", errno: ENOENT)
            }
            print("key: \(hexString(key))  value: \(hexString(found))")
        case "update":
            guard value.count == Int(info.valueSize) else {
                throw CommandFailure(
                    description:
                        "the value has \(value.count) bytes; map \(info.id) (\(info.name)) takes \(info.valueSize)")
            }
            let flags: UInt64
            switch args.option("flags") ?? "any" {
            case "any": flags = 0
            case "noexist": flags = 1
            case "exist": flags = 2
            case let other:
                throw UsageError(message: "unknown --flags '\(other)' (expected any, noexist or exist)", help: help)
            }
            try map.update(key, value, flags: flags)
        default:
            try map.delete(key)
        }
    }

    /// Bytes written as hex words: `0x2a`, `2a`, or several run together (`2a000000`).
    static func hexBytes(_ words: ArraySlice<String>) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for word in words {
            var digits = Substring(word)
            if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
            if digits.count == 1 { digits = "0" + digits }
            guard !digits.isEmpty, digits.count % 2 == 0 else {
                throw UsageError(message: "'\(word)' is not hex bytes", help: help)
            }
            var at = digits.startIndex
            while at < digits.endIndex {
                let next = digits.index(at, offsetBy: 2)
                guard let byte = UInt8(digits[at..<next], radix: 16) else {
                    throw UsageError(message: "'\(word)' is not hex bytes", help: help)
                }
                bytes.append(byte)
                at = next
            }
        }
        return bytes
    }

    static func hexString(_ bytes: [UInt8]) -> String { bytes.map { hex($0, digits: 2) }.joined(separator: " ") }

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

    static func dump(_ map: Map, json asJSON: Bool) throws {
        let info = try map.info()
        let cpus = map.isPerCPU ? try PossibleCPUs.count : 1
        let slot = map.isPerCPU ? MapCommands.perCPUStride(valueSize: map.valueSize) : map.valueSize
        var entries: [([UInt8], [UInt8])] = []
        // Maps without keys to walk (ring buffers, queues) have no elements to show, as with bpftool.
        var keys: [[UInt8]] = []
        do {
            keys = try map.allKeys()
        } catch {
            // 524: ENOTSUPP
            guard error.errno == 524 || error.errno == EOPNOTSUPP || error.errno == EINVAL else { throw error }
        }
        let progress = TerminalProgress()
        for (index, key) in keys.enumerated() {
            progress.update("reading map \(info.id)", completed: index + 1, total: keys.count)
            guard let value = try? map.lookup(key) else { continue }
            entries.append((key, value))
        }
        progress.finish()
        let btf = info.btfID != 0 && info.btfValueTypeID != 0 ? kernelBTF(id: info.btfID) : nil
        /// The formatted entry as bpftool builds it: key (when typed), then value, or one value per CPU.
        func formatted(_ key: [UInt8], _ value: [UInt8], _ btf: BTF) -> JSON? {
            var fields: [(String, JSON)] = []
            if info.btfKeyTypeID != 0 {
                guard let k = try? btf.formattedValue(key, type: info.btfKeyTypeID) else { return nil }
                fields.append(("key", JSON(k)))
            }
            var values: [JSON] = []
            for cpu in 0..<cpus {
                let bytes = Array(value[cpu * slot..<cpu * slot + Int(info.valueSize)])
                guard let v = try? btf.formattedValue(bytes, type: info.btfValueTypeID) else { return nil }
                values.append(JSON(v))
            }
            if map.isPerCPU {
                fields.append(
                    (
                        "values",
                        .array(
                            values.enumerated().map {
                                .object([("cpu", .uint(UInt64($0.offset))), ("value", $0.element)])
                            })
                    ))
            } else if let v = values.first {
                fields.append(("value", v))
            }
            return .object(fields)
        }
        if asJSON {
            print(
                JSON.array(
                    entries.map { key, value in
                        var object: [(String, JSON)] = [
                            ("key", .array(key.map { .string("0x" + hex($0, digits: 2)) })),
                            ("value", .array(value.map { .string("0x" + hex($0, digits: 2)) })),
                        ]
                        if let btf, let shown = formatted(key, value, btf) { object.append(("formatted", shown)) }
                        return .object(object)
                    }
                ).rendered())
        } else if let btf {
            print(PrettyJSON.render(.array(entries.compactMap { formatted($0.0, $0.1, btf) })))
        } else {
            for (key, value) in entries { print("key: \(hexString(key))  value: \(hexString(value))") }
            print("Found \(entries.count) element\(entries.count == 1 ? "" : "s")")
        }
    }

    /// The kernel's BTF object `id`, read (nil when it cannot be).
    static func kernelBTF(id: UInt32) -> BTF? {
        guard let fd = try? KernelObjectIDs.open(.btf, id: id), let object = try? KernelBTFObject(of: fd) else {
            return nil
        }
        return try? BTF(ByteStorage(copying: object.bytes))
    }
}
