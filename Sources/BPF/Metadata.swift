import BPFObject
import BTF
import ELF64
import Glibc

/// One value of program metadata, decoded through BTF as bpftool prints it.
public indirect enum MetadataValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case signed(Int64)
    case unsigned(UInt64)
    case bool(Bool)
    case enumerator(String)
    case array([MetadataValue])
    case structure([Field])

    public struct Field: Sendable, Equatable {
        public let name: String
        public let value: MetadataValue
    }

    /// bpftool's plain-text form: strings quoted, numbers in decimal, `true`/`false`.
    public var description: String {
        switch self {
        case let .string(s): "\"\(s)\""
        case let .signed(v): "\(v)"
        case let .unsigned(v): "\(v)"
        case let .bool(b): b ? "true" : "false"
        case let .enumerator(name): "\"\(name)\""
        case let .array(items): "[" + items.map(\.description).joined(separator: ",") + "]"
        case let .structure(fields): "{" + fields.map { "\"\($0.name)\":\($0.value)" }.joined(separator: ",") + "}"
        }
    }
}

/// Metadata of a program: the `bpf_metadata_*` variables of its first bound
/// read-only data map, found by bpftool's rule.
public struct ProgramMetadata: Sendable {
    /// The map holding the metadata.
    public let mapID: UInt32
    /// Variables in DATASEC order, prefix `bpf_metadata_` removed.
    public let entries: [(name: String, value: MetadataValue)]

    public static let prefix = "bpf_metadata_"

    /// Reads the metadata of the program behind `fd`; `nil` when it has none. Works for programs
    /// loaded by anyone (libbpf, bpftool, SwiftBPF): the map is an ARRAY with a 4-byte key, one
    /// entry, a BTF value type and `.rodata` in its name (bpftool's rule); its value is decoded
    /// through the BTF the kernel holds for it.
    public static func read(program fd: Int32) throws(SyscallError) -> ProgramMetadata? {
        for id in try ProgramInfo(descriptor: fd).mapIDs {
            let map: FileDescriptor
            do { map = try KernelObjectIDs.open(.map, id: id) } catch where error.errno == ENOENT { continue }
            let info = try MapInfo(descriptor: map.rawValue)
            guard info.type == .array, info.keySize == 4, info.maxEntries == 1, info.btfValueTypeID != 0,
                  info.name.includes(".rodata") else { continue }
            let value = try MapCommands.lookup(descriptor: map.rawValue, key: [0, 0, 0, 0], valueSize: Int(info.valueSize))
            let btfFD = try KernelObjectIDs.open(.btf, id: info.btfID)
            let kernelBTF = try KernelBTF(descriptor: btfFD.rawValue)
            guard let btf = try? BTF(ByteStorage(copying: kernelBTF.bytes)),
                  let entries = try? decode(value, datasec: info.btfValueTypeID, btf) else { return nil }
            return ProgramMetadata(mapID: info.id, entries: entries)
        }
        return nil
    }

    /// The `bpf_metadata_*` variables of a DATASEC, decoded from the map value.
    static func decode(_ value: [UInt8], datasec: TypeID, _ btf: BTF) throws -> [(String, MetadataValue)] {
        let section = try btf.type(datasec)
        guard section.kind == .dataSection else { return [] }
        var entries: [(String, MetadataValue)] = []
        for variable in section.variables {
            let v = try btf.type(variable.type)
            guard v.kind == .variable, let name = v.name.dropping(prefix: prefix) else { continue }
            let start = Int(variable.offset), end = start + Int(variable.size)
            guard start >= 0, end <= value.count else { continue }
            entries.append((String(name), try decode(Array(value[start..<end]), type: v.referencedType, btf, depth: 0)))
        }
        return entries
    }

    static func decode(_ bytes: [UInt8], type: TypeID, _ btf: BTF, depth: Int) throws -> MetadataValue {
        guard depth < 16 else { throw BTFError(.referenceLoop(type)) }
        let t = try btf.type(try btf.resolve(type))
        switch t.kind {
        case .int:
            let (encoding, _, _) = t.intInfo
            if encoding.contains(.bool) { return .bool(bytes.contains { $0 != 0 }) }
            let raw = integer(bytes)
            if encoding.contains(.signed), bytes.count < 8, bytes.count > 0 {
                let shift = UInt64(64 - 8 * bytes.count)
                return .signed(Int64(bitPattern: raw << shift) >> Int64(shift))
            }
            return encoding.contains(.signed) ? .signed(Int64(bitPattern: raw)) : .unsigned(raw)
        case .enum, .enum64:
            let raw = integer(bytes)
            let mask: UInt64 = bytes.count >= 8 ? .max : (1 << (8 * UInt64(bytes.count))) - 1
            if let e = t.enumerators.first(where: { $0.value & mask == raw }) { return .enumerator(String(e.name)) }
            return .unsigned(raw)
        case .array:
            let element = try btf.type(try btf.resolve(t.arrayInfo.element))
            let size = try btf.size(of: t.arrayInfo.element)
            if element.kind == .int, size == 1 {
                return .string(String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self))
            }
            guard size > 0 else { return .array([]) }
            return .array(try stride(from: 0, to: bytes.count - size + 1, by: size).map {
                try decode(Array(bytes[$0..<$0 + size]), type: t.arrayInfo.element, btf, depth: depth + 1)
            })
        case .struct, .union:
            var fields: [MetadataValue.Field] = []
            for m in t.members where m.bitfieldSize == 0 {
                let start = Int(m.bitOffset / 8), size = try btf.size(of: m.type)
                guard start + size <= bytes.count else { continue }
                fields.append(.init(name: String(m.name), value: try decode(Array(bytes[start..<start + size]), type: m.type, btf, depth: depth + 1)))
            }
            return .structure(fields)
        default:
            return .unsigned(integer(bytes))
        }
    }

    /// Up to 8 bytes as an unsigned integer in host order.
    static func integer(_ bytes: [UInt8]) -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in bytes.prefix(8).enumerated() { v |= UInt64(b) << (8 * UInt64(ByteOrder.host == .little ? i : bytes.count - 1 - i)) }
        return v
    }
}
