import BPF
import BPFObject
import BTF
import ELF64
import Glibc

/// One program as `bpftool prog show` prints it, in text or JSON.
struct ProgramListing {
    let info: ProgramInfo
    let memlock: String?
    let metadata: ProgramMetadata?

    init(_ program: borrowing FileDescriptor) throws {
        info = try ProgramInfo(of: program)
        memlock = Self.fdinfo(program.rawValue, field: "memlock")
        metadata = try ProgramMetadata.read(program: program)
    }

    var tag: String { info.tag.map { hex($0, digits: 2) }.joined() }

    /// Seconds since the epoch of the program's load (the kernel records nanoseconds since boot).
    var loadedAt: Int {
        var realtime = timespec(), boottime = timespec()
        clock_gettime(CLOCK_REALTIME, &realtime)
        clock_gettime(CLOCK_BOOTTIME, &boottime)
        return realtime.tv_sec - boottime.tv_sec + Int(info.loadTime / 1_000_000_000)
    }

    var text: String {
        var out = "\(info.id): \(info.type)  "
        if !info.name.isEmpty { out += "name \(info.name)  " }
        out += "tag \(tag)\(info.gplCompatible ? "  gpl" : "")\n"
        if info.loadTime != 0 {
            var seconds = time_t(loadedAt), parts = tm()
            localtime_r(&seconds, &parts)
            var buffer = [CChar](repeating: 0, count: 64)
            strftime(&buffer, buffer.count, "%FT%T%z", &parts)
            out +=
                "\tloaded_at \(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))  uid \(info.createdByUID)\n"
        }
        out += "\txlated \(info.translatedSize)B" + (info.jitedSize > 0 ? "  jited \(info.jitedSize)B" : "  not jited")
        if let memlock { out += "  memlock \(memlock)B" }
        if !info.mapIDs.isEmpty { out += "  map_ids " + info.mapIDs.map(String.init).joined(separator: ",") }
        out += "\n"
        if info.btfID != 0 { out += "\tbtf_id \(info.btfID)\n" }
        if let metadata, !metadata.entries.isEmpty {
            out += "\tmetadata:\n"
            for (name, value) in metadata.entries { out += "\t\t\(name) = \(value)\n" }
        }
        return out
    }

    var json: JSON {
        var fields: [(String, JSON)] = [
            ("id", .uint(UInt64(info.id))), ("type", .string(info.type.description)), ("name", .string(info.name)),
            ("tag", .string(tag)), ("gpl_compatible", .bool(info.gplCompatible)), ("loaded_at", .int(Int64(loadedAt))),
            ("uid", .uint(UInt64(info.createdByUID))), ("bytes_xlated", .uint(UInt64(info.translatedSize))),
            ("jited", .bool(info.jitedSize > 0)), ("bytes_jited", .uint(UInt64(info.jitedSize))),
        ]
        if let memlock, let bytes = UInt64(memlock) { fields.append(("bytes_memlock", .uint(bytes))) }
        fields.append(("map_ids", .array(info.mapIDs.map { .uint(UInt64($0)) })))
        if info.btfID != 0 { fields.append(("btf_id", .uint(UInt64(info.btfID)))) }
        if let metadata, !metadata.entries.isEmpty {
            fields.append(("metadata", .object(metadata.entries.map { ($0.name, Self.json($0.value)) })))
        }
        return .object(fields)
    }

    static func json(_ value: FormattedValue) -> JSON {
        switch value {
        case let .string(s), let .enumerator(s): .string(s)
        case let .signed(v): .int(v)
        case let .unsigned(v): .uint(v)
        case let .bool(b): .bool(b)
        case let .array(items): .array(items.map(json))
        case let .structure(fields): .object(fields.map { ($0.name, json($0.value)) })
        }
    }

    /// A field of `/proc/self/fdinfo/FD` (e.g. `memlock`).
    static func fdinfo(_ fd: Int32, field: String) -> String? {
        guard let file = try? ByteStorage(contentsOfFile: "/proc/self/fdinfo/\(fd)") else { return nil }
        let text = file.text
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return line.dropFirst(field.count + 1).trimmingCharacters(in: " \t")
        }
        return nil
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String { String(self).trimmingCharacters(in: set) }
}
