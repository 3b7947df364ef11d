import BTF
import ELF64

/// BPF objects written from scratch at any size, for the walks whose cost grows with the number of
/// programs, calls, relocations, sections or symbols: tests time them at N and 8N.
public enum SyntheticObjects {
    /// One entry program (`socket`) calling each of `count` subprograms in `.text` through a
    /// relocation, `.BTF.ext` line info for the subprograms in reverse order (out of order, as a
    /// hostile object may give it), and `legacyMapSections` sections `maps/N` with one map each
    /// among as many other symbols.
    public static func manyCalls(count: Int, legacyMapSections: Int = 0) -> [UInt8] {
        var elf = ELFEditor(order: .little)
        var names: [UInt8] = [0]
        func name(_ s: String) -> UInt32 {
            defer { names += Array(s.utf8) + [0] }
            return UInt32(names.count)
        }
        func word(_ v: UInt64, _ width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
        let exec = SectionFlags.execInstr.rawValue | SectionFlags.alloc.rawValue
        let ret0: [UInt8] = [0xb7, 0, 0, 0, 0, 0, 0, 0], exit: [UInt8] = [0x95, 0, 0, 0, 0, 0, 0, 0]
        let call: [UInt8] = [0x85, 0x10, 0, 0, 0xff, 0xff, 0xff, 0xff]
        let text = elf.append(.init(type: SectionType.progbits.rawValue, flags: exec, data: (0..<count).flatMap { _ in ret0 + exit }), named: ".text")
        let socket = elf.append(.init(type: SectionType.progbits.rawValue, flags: exec,
                                      data: (0..<count).flatMap { _ in call } + ret0 + exit), named: "socket")
        elf.append(.init(type: SectionType.progbits.rawValue, flags: SectionFlags.alloc.rawValue | 1, alignment: 1, data: Array("GPL\0".utf8)),
                   named: "license")
        var mapSections: [Int] = []
        for m in 0..<legacyMapSections {
            mapSections.append(elf.append(.init(type: SectionType.progbits.rawValue, flags: SectionFlags.alloc.rawValue | 1,
                                                data: word(2, 4) + word(4, 4) + word(8, 4) + word(1, 4) + word(0, 4)), named: "maps/m\(m)"))
        }
        // Symbols: null, subprograms, the entry, one map per legacy section, and as many objects in .text's neighbours.
        var symbols = [UInt8](repeating: 0, count: Symbol.entrySize)
        func symbol(_ n: String, info: UInt8, section: Int, value: UInt64, size: UInt64) {
            symbols += word(UInt64(name(n)), 4) + [info, 0] + word(UInt64(section), 2) + word(value, 8) + word(size, 8)
        }
        for i in 0..<count { symbol("f\(i)", info: 0x12, section: text, value: UInt64(16 * i), size: 16) }
        symbol("entry", info: 0x12, section: socket, value: 0, size: UInt64(8 * (count + 2)))
        for (m, section) in mapSections.enumerated() {
            symbol("map\(m)", info: 0x11, section: section, value: 0, size: 20)
            symbol("other\(m)", info: 0x11, section: text, value: 0, size: 0)
        }
        let strtab = elf.sections.count + 2  // after .symtab and .rel below
        let symtab = elf.append(.init(type: SectionType.symtab.rawValue, link: UInt32(strtab), info: 1, entrySize: UInt64(Symbol.entrySize),
                                      data: symbols), named: ".symtab")
        var relocations: [UInt8] = []
        for i in 0..<count {
            relocations += word(UInt64(8 * i), 8)
            relocations += word(UInt64(i + 1) << 32 | 10, 8)  // R_BPF_64_32 against f<i>
        }
        elf.append(.init(type: SectionType.rel.rawValue, link: UInt32(symtab), info: UInt32(socket), entrySize: 16, data: relocations),
                   named: ".relsocket")
        elf.append(.init(type: SectionType.strtab.rawValue, alignment: 1, data: names), named: ".strtab")
        // .BTF: no types, the strings ".text" and "a.c"; .BTF.ext: line info of .text, last record first.
        let btfStrings: [UInt8] = Array("\0.text\0a.c\0".utf8)
        var btf: [UInt8] = [0x9f, 0xeb, 1, 0]
        for field: UInt64 in [24, 0, 0, 0, UInt64(btfStrings.count)] { btf += word(field, 4) }
        elf.append(.init(type: SectionType.progbits.rawValue, alignment: 4, data: btf + btfStrings), named: ".BTF")
        var lines: [UInt8] = word(16, 4) + word(1, 4) + word(UInt64(count), 4)
        for i in (0..<count).reversed() {
            for field: UInt64 in [UInt64(16 * i), 7, 7, UInt64(i + 1) << 10] { lines += word(field, 4) }
        }
        var ext: [UInt8] = [0x9f, 0xeb, 1, 0]
        for field: UInt64 in [32, 0, 0, 0, UInt64(lines.count), UInt64(lines.count), 0] { ext += word(field, 4) }
        elf.append(.init(type: SectionType.progbits.rawValue, alignment: 4, data: ext + lines), named: ".BTF.ext")
        return elf.bytes
    }

    /// A socket program whose one instruction (`r0 = 1`) carries a CO-RE `type_exists` relocation
    /// of a typedef of the prototype DAG of ``HostileBTF/prototypeDAG(depth:width:)``: relocated
    /// against its own BTF, the compatibility check walks the DAG (width^depth paths, one by one before).
    public static func coreOverPrototypeDAG(depth: Int, width: Int = 2) -> [UInt8] {
        var blob = HostileBTF.Blob()
        let top = HostileBTF.prototypeDAG(in: &blob, depth: depth, width: width)
        let typedef = blob.add(blob.name(Array("dag_fn".utf8)), .typedef, top)
        return coreObject(blob, root: typedef, access: "0", kind: 8, records: 1)  // BPF_CORE_TYPE_EXISTS
    }

    /// `records` CO-RE field relocations (byte offset) whose access string walks `steps` times
    /// through `struct S { struct S s; }`: a self-containing struct makes any length valid, so
    /// each record's spelled access (kept per outcome) grew with it: records × steps memory.
    public static func coreThroughSelfContainingStruct(steps: Int, records: Int = 1) -> [UInt8] {
        var blob = HostileBTF.Blob()
        let member = blob.name(Array("s".utf8))
        let s = blob.add(blob.name(Array("S".utf8)), .struct, vlen: 1, 4, [member, 1, 0])  // the first type: id 1, itself
        return coreObject(blob, root: s, access: Array(repeating: "0", count: steps).joined(separator: ":"), kind: 0, records: records)
    }

    /// A socket program `r0 = 1; exit` (`r0 = 0` for a byte offset) with `records` CO-RE relocations of `kind` on its first
    /// instruction, against `root` with access string `access`, in an object whose BTF is `blob`.
    static func coreObject(_ btfTypes: HostileBTF.Blob, root: TypeID, access accessString: String, kind: UInt32, records: Int) -> [UInt8] {
        func word(_ v: UInt64, _ width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
        var blob = btfTypes
        let typedef = root
        let socket = blob.name(Array("socket".utf8)), access = blob.name(Array(accessString.utf8))
        var elf = ELFEditor(order: .little)
        let exec = SectionFlags.execInstr.rawValue | SectionFlags.alloc.rawValue
        let code = elf.append(.init(type: SectionType.progbits.rawValue, flags: exec, data: [0xb7, 0, 0, 0, kind == 0 ? 0 : 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]),
                              named: "socket")
        elf.append(.init(type: SectionType.progbits.rawValue, flags: SectionFlags.alloc.rawValue | 1, alignment: 1, data: Array("GPL\0".utf8)),
                   named: "license")
        var symbols = [UInt8](repeating: 0, count: Symbol.entrySize)
        symbols += word(1, 4) + [0x12, 0] + word(UInt64(code), 2) + word(0, 8) + word(16, 8)
        let symtab = elf.append(.init(type: SectionType.symtab.rawValue, link: UInt32(elf.sections.count + 1), info: 1,
                                      entrySize: UInt64(Symbol.entrySize), data: symbols), named: ".symtab")
        elf.append(.init(type: SectionType.strtab.rawValue, alignment: 1, data: Array("\0entry\0".utf8)), named: ".strtab")
        _ = symtab
        elf.append(.init(type: SectionType.progbits.rawValue, alignment: 4, data: blob.bytes), named: ".BTF")
        var core: [UInt8] = word(16, 4) + word(UInt64(socket), 4) + word(UInt64(records), 4)
        for _ in 0..<records {
            for field: UInt64 in [0, UInt64(typedef), UInt64(access), UInt64(kind)] { core += word(field, 4) }
        }
        var ext: [UInt8] = [0x9f, 0xeb, 1, 0]
        for field: UInt64 in [32, 0, 0, 0, 0, 0, UInt64(core.count)] { ext += word(field, 4) }
        elf.append(.init(type: SectionType.progbits.rawValue, alignment: 4, data: ext + core), named: ".BTF.ext")
        return elf.bytes
    }
}
