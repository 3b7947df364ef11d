import BPFObject
import BTF
import ELF64
import Glibc

/// Metadata of a program: the `bpf_metadata_*` variables of its first bound
/// read-only data map, found by bpftool's rule.
public struct ProgramMetadata: Sendable {
    /// The map holding the metadata.
    public let mapID: UInt32
    /// Variables in DATASEC order, prefix `bpf_metadata_` removed.
    public let entries: [(name: String, value: FormattedValue)]

    public static let prefix = "bpf_metadata_"

    /// Reads the metadata of the program behind `fd`; `nil` when it has none. Works for programs
    /// loaded by anyone (libbpf, bpftool, SwiftBPF): the map is an ARRAY with a 4-byte key, one
    /// entry, a BTF value type and `.rodata` in its name (bpftool's rule); its value is decoded
    /// through the BTF the kernel holds for it.
    public static func read(program: borrowing FileDescriptor) throws(SyscallError) -> ProgramMetadata? {
        for id in try ProgramInfo(of: program).mapIDs {
            let map: FileDescriptor
            do { map = try KernelObjectIDs.open(.map, id: id) } catch  where error.errno == ENOENT { continue }
            let info = try MapInfo(of: map)
            guard info.type == .array, info.keySize == 4, info.maxEntries == 1, info.btfValueTypeID != 0,
                info.name.includes(".rodata")
            else { continue }
            // A 4-byte key and a non-per-CPU value of value_size (checked above: an array).
            guard
                let value = try MapCommands.keyed(
                    .mapLookupElement, "BPF_MAP_LOOKUP_ELEM", map.rawValue, key: [0, 0, 0, 0],
                    output: Int(info.valueSize))
            else { continue }
            let kernelBTF = try KernelBTFObject(of: try KernelObjectIDs.open(.btf, id: info.btfID))
            guard let btf = try? BTF(ByteStorage(copying: kernelBTF.bytes)),
                let entries = try? decode(value, datasec: info.btfValueTypeID, btf)
            else { return nil }
            return ProgramMetadata(mapID: info.id, entries: entries)
        }
        return nil
    }

    /// The `bpf_metadata_*` variables of a DATASEC, decoded from the map value.
    static func decode(_ value: [UInt8], datasec: TypeID, _ btf: BTF) throws -> [(String, FormattedValue)] {
        let section = try btf.type(datasec)
        guard section.kind == .dataSection else { return [] }
        var entries: [(String, FormattedValue)] = []
        for variable in section.variables {
            let v = try btf.type(variable.type)
            guard v.kind == .variable, let name = v.name.dropping(prefix: prefix) else { continue }
            let start = Int(variable.offset), end = start + Int(variable.size)
            guard start >= 0, end <= value.count else { continue }
            entries.append((String(name), try btf.formattedValue(Array(value[start..<end]), type: v.referencedType)))
        }
        return entries
    }

}
