import BTF
import ELF64

/// BPF objects written from scratch at any size, for the walks whose cost grows with the number of
/// programs, calls, relocations, sections or symbols: tests time them at N and 8N.
public enum SyntheticObjects {
    /// Where ``manyCalls(count:legacyMapSections:functions:)`` puts its subprograms' symbols.
    public enum Functions: Sendable {
        /// Each on its own two instructions.
        case apart
        /// Each running to the end of `.text`, overlapping all that follow it (N²/2 instructions if
        /// each were read whole).
        case overlapping
        /// All naming the whole of `.text` (N aliases of one function).
        case aliases
    }

    /// One entry program (`socket`) calling each of `count` subprograms in `.text` through a
    /// relocation, `.BTF.ext` line info for the subprograms in reverse order (out of order, as a
    /// hostile object may give it), and `legacyMapSections` sections `maps/N` with one map each
    /// among as many other symbols. `functions` says where the subprograms' symbols lie.
    public static func manyCalls(count: Int, legacyMapSections: Int = 0, functions: Functions = .apart) -> [UInt8] {
        var elf = ELFEditor(order: .little)
        var names: [UInt8] = [0]
        func name(_ s: String) -> UInt32 {
            defer { names += Array(s.utf8) + [0] }
            return UInt32(names.count)
        }
        let ret0: [UInt8] = [0xb7, 0, 0, 0, 0, 0, 0, 0], exit: [UInt8] = [0x95, 0, 0, 0, 0, 0, 0, 0]
        let call: [UInt8] = [0x85, 0x10, 0, 0, 0xff, 0xff, 0xff, 0xff]
        let text = elf.append(
            .init(type: SectionType.progbits.rawValue, flags: exec, data: (0..<count).flatMap { _ in ret0 + exit }),
            named: ".text")
        let socket = elf.append(
            .init(
                type: SectionType.progbits.rawValue, flags: exec,
                data: (0..<count).flatMap { _ in call } + ret0 + exit), named: "socket")
        elf.append(
            .init(
                type: SectionType.progbits.rawValue, flags: SectionFlags.alloc.rawValue | 1, alignment: 1,
                data: Array("GPL\0".utf8)),
            named: "license")
        var mapSections: [Int] = []
        for m in 0..<legacyMapSections {
            mapSections.append(
                elf.append(
                    .init(
                        type: SectionType.progbits.rawValue, flags: SectionFlags.alloc.rawValue | 1,
                        data: word(2, 4) + word(4, 4) + word(8, 4) + word(1, 4) + word(0, 4)), named: "maps/m\(m)"))
        }
        // Symbols: null, subprograms, the entry, one map per legacy section, and as many objects in .text's neighbours.
        var symbols = [UInt8](repeating: 0, count: Symbol.entrySize)
        func symbol(_ n: String, info: UInt8, section: Int, value: UInt64, size: UInt64) {
            symbols += word(UInt64(name(n)), 4) + [info, 0] + word(UInt64(section), 2) + word(value, 8) + word(size, 8)
        }
        for i in 0..<count {
            switch functions {
            case .apart: symbol("f\(i)", info: 0x12, section: text, value: UInt64(16 * i), size: 16)
            case .overlapping:
                symbol("f\(i)", info: 0x12, section: text, value: UInt64(16 * i), size: UInt64(16 * (count - i)))
            case .aliases: symbol("f\(i)", info: 0x12, section: text, value: 0, size: UInt64(16 * count))
            }
        }
        symbol("entry", info: 0x12, section: socket, value: 0, size: UInt64(8 * (count + 2)))
        for (m, section) in mapSections.enumerated() {
            symbol("map\(m)", info: 0x11, section: section, value: 0, size: 20)
            symbol("other\(m)", info: 0x11, section: text, value: 0, size: 0)
        }
        let strtab = elf.sections.count + 2  // after .symtab and .rel below
        let symtab = elf.append(
            .init(
                type: SectionType.symtab.rawValue, link: UInt32(strtab), info: 1, entrySize: UInt64(Symbol.entrySize),
                data: symbols), named: ".symtab")
        var relocations: [UInt8] = []
        for i in 0..<count {
            relocations += word(UInt64(8 * i), 8)
            relocations += word(UInt64(i + 1) << 32 | 10, 8)  // R_BPF_64_32 against f<i>
        }
        elf.append(
            .init(
                type: SectionType.rel.rawValue, link: UInt32(symtab), info: UInt32(socket), entrySize: 16,
                data: relocations),
            named: ".relsocket")
        elf.append(.init(type: SectionType.strtab.rawValue, alignment: 1, data: names), named: ".strtab")
        // Line info of .text, last record first.
        appendLineInfo(of: ".text", (0..<count).reversed().map { (UInt64(16 * $0), UInt64($0 + 1)) }, to: &elf)
        return elf.bytes
    }

    /// Appends `.BTF` (no types; the strings `section` and `a.c`) and `.BTF.ext` whose line info for
    /// `section` holds `records` (byte offset, line), in the order given, all in file `a.c`.
    private static func appendLineInfo(of section: String, _ records: [(UInt64, UInt64)], to elf: inout ELFEditor) {
        let btfStrings: [UInt8] = [0] + Array(section.utf8) + [0] + Array("a.c\0".utf8)
        let file = UInt64(section.utf8.count + 2)
        var btf: [UInt8] = [0x9f, 0xeb, 1, 0]
        for field: UInt64 in [24, 0, 0, 0, UInt64(btfStrings.count)] { btf += word(field, 4) }
        elf.append(.init(type: SectionType.progbits.rawValue, alignment: 4, data: btf + btfStrings), named: ".BTF")
        var lines: [UInt8] = word(16, 4) + word(1, 4) + word(UInt64(records.count), 4)
        for (offset, line) in records {
            for field: UInt64 in [offset, file, file, line << 10] { lines += word(field, 4) }
        }
        var ext: [UInt8] = [0x9f, 0xeb, 1, 0]
        for field: UInt64 in [32, 0, 0, 0, UInt64(lines.count), UInt64(lines.count), 0] { ext += word(field, 4) }
        elf.append(.init(type: SectionType.progbits.rawValue, alignment: 4, data: ext + lines), named: ".BTF.ext")
    }

    /// `count` program sections all named `socket` (two instructions and a function each) and a
    /// `.BTF.ext` whose line info for `socket` holds `records` records out of order (one at byte 8,
    /// then the rest at 0): records name a section, so each program section of the name took (a
    /// copy of) them all, N×R.
    public static func sameNamedSections(count: Int, records: Int) -> [UInt8] {
        var elf = ELFEditor(order: .little)
        var names: [UInt8] = [0]
        let sections = (0..<count).map { _ in
            elf.append(.init(type: SectionType.progbits.rawValue, flags: exec, data: returnZero), named: "socket")
        }
        elf.append(.init(type: license.1.rawValue, flags: license.2, alignment: 1, data: license.3), named: license.0)
        var symbols = [UInt8](repeating: 0, count: Symbol.entrySize)
        for (i, section) in sections.enumerated() {
            symbols += word(UInt64(names.count), 4) + [0x12, 0] + word(UInt64(section), 2) + word(0, 8) + word(16, 8)
            names += Array("e\(i)".utf8) + [0]
        }
        elf.append(
            .init(
                type: SectionType.symtab.rawValue, link: UInt32(elf.sections.count + 1), info: 1,
                entrySize: UInt64(Symbol.entrySize), data: symbols), named: ".symtab")
        elf.append(.init(type: SectionType.strtab.rawValue, alignment: 1, data: names), named: ".strtab")
        appendLineInfo(of: "socket", (0..<records).map { ($0 == 0 ? 8 : 0, UInt64($0 + 1)) }, to: &elf)
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
    /// `leadingZeros` pads the first step (`000…0`, one step of any length: each record copied and split it).
    public static func coreThroughSelfContainingStruct(steps: Int, records: Int = 1, leadingZeros: Int = 0) -> [UInt8] {
        var blob = HostileBTF.Blob()
        let member = blob.name(Array("s".utf8))
        // the first type: id 1, itself
        let s = blob.add(blob.name(Array("S".utf8)), .struct, vlen: 1, 4, [member, 1, 0])
        let access =
            ([String(repeating: "0", count: leadingZeros + 1)] + Array(repeating: "0", count: max(steps - 1, 0)))
            .joined(separator: ":")
        return coreObject(blob, root: s, access: access, kind: 0, records: records)
    }

    /// A socket program reading `a` of `struct NAME { int a; }` through a CO-RE byte-offset
    /// relocation (access `0:0`), and a target BTF where the struct is `TARGET { int pad; int a; }`:
    /// with a flavored name (`NAME___v2`), libbpf matches by essential name and gives offset 4.
    public static func coreFlavoredTarget(local: String, target: String) -> (object: [UInt8], target: [UInt8]) {
        func btf(_ name: String, padded: Bool) -> HostileBTF.Blob {
            var blob = HostileBTF.Blob()
            let int = blob.add(blob.name(Array("int".utf8)), .int, 4, [1 << 24 | 32])
            let members: [UInt32] =
                (padded ? [blob.name(Array("pad".utf8)), int, 0] : []) + [
                    blob.name(Array("a".utf8)), int, padded ? 32 : 0,
                ]
            blob.add(blob.name(Array(name.utf8)), .struct, vlen: padded ? 2 : 1, padded ? 8 : 4, members)
            return blob
        }
        return (
            coreObject(btf(local, padded: false), root: 2, access: "0:0", kind: 0, records: 1),
            btf(target, padded: true).bytes
        )
    }

    /// A socket program `r0 = 1; exit` (`r0 = 0` for a byte offset) with `records` CO-RE relocations of `kind` on its first
    /// instruction, against `root` with access string `access`, in an object whose BTF is `blob`.
    static func coreObject(
        _ btfTypes: HostileBTF.Blob, root: TypeID, access accessString: String, kind: UInt32, records: Int
    ) -> [UInt8] {
        func word(_ v: UInt64, _ width: Int) -> [UInt8] {
            (0..<width).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
        }
        var blob = btfTypes
        let typedef = root
        let socket = blob.name(Array("socket".utf8)), access = blob.name(Array(accessString.utf8))
        var elf = ELFEditor(order: .little)
        let exec = SectionFlags.execInstr.rawValue | SectionFlags.alloc.rawValue
        let code = elf.append(
            .init(
                type: SectionType.progbits.rawValue, flags: exec,
                data: [0xb7, 0, 0, 0, kind == 0 ? 0 : 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]),
            named: "socket")
        elf.append(
            .init(
                type: SectionType.progbits.rawValue, flags: SectionFlags.alloc.rawValue | 1, alignment: 1,
                data: Array("GPL\0".utf8)),
            named: "license")
        var symbols = [UInt8](repeating: 0, count: Symbol.entrySize)
        symbols += word(1, 4) + [0x12, 0] + word(UInt64(code), 2) + word(0, 8) + word(16, 8)
        let symtab = elf.append(
            .init(
                type: SectionType.symtab.rawValue, link: UInt32(elf.sections.count + 1), info: 1,
                entrySize: UInt64(Symbol.entrySize), data: symbols), named: ".symtab")
        elf.append(
            .init(type: SectionType.strtab.rawValue, alignment: 1, data: Array("\0entry\0".utf8)), named: ".strtab")
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

    /// Two objects for the static linker at any size: the first defines `count` global functions
    /// `f<i>` in `.text` and `count` global variables `v<i>` in `.data`, the second declares them all
    /// extern (BTF FUNCs and VARs of extern linkage, the variables in `.extern`): linking them
    /// resolves `2 × count` globals, each declaration compared with its definition.
    public static func linkablePair(count: Int) -> (definitions: [UInt8], uses: [UInt8]) {
        func btf(extern: Bool) -> [UInt8] {
            var builder = BTFBuilder()
            builder.add(.int("int", size: 4, encoding: .signed))
            builder.add(TypeRecord(kind: .functionProto, sizeOrType: 1))
            var entries: [TypeRecord.Word] = []
            for i in 0..<count {
                builder.add(TypeRecord(kind: .function, name: "f\(i)", vlen: extern ? 2 : 1, sizeOrType: 2))
                let variable = builder.add(
                    TypeRecord(kind: .variable, name: "v\(i)", sizeOrType: 1, trailing: [.value(extern ? 2 : 1)]))
                entries += [.value(variable), .value(extern ? 0 : UInt32(4 * i)), .value(4)]
            }
            builder.add(
                TypeRecord(
                    kind: .dataSection, name: extern ? ".extern" : ".data", vlen: UInt16(count),
                    sizeOrType: extern ? 0 : UInt32(4 * count), trailing: entries))
            return builder.encode(byteOrder: .little)
        }
        let exec = SectionFlags.execInstr.rawValue | SectionFlags.alloc.rawValue
        let code: [UInt8] = [0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]
        let definitions = object(
            sections: [
                (".text", .progbits, exec, (0..<count).flatMap { _ in code }),
                (".data", .progbits, SectionFlags.alloc.rawValue | 1, [UInt8](repeating: 0, count: 4 * count)),
            ],
            symbols: (0..<count).flatMap { i in
                [
                    ("f\(i)", UInt8(0x12), 2, UInt64(16 * i), UInt64(16)),
                    ("v\(i)", UInt8(0x11), 3, UInt64(4 * i), UInt64(4)),
                ]
            },
            after: [(".BTF", btf(extern: false))])
        let uses = object(
            sections: [],
            symbols: (0..<count).flatMap { i in
                [("f\(i)", UInt8(0x10), 0, UInt64(0), UInt64(0)), ("v\(i)", UInt8(0x10), 0, 0, 0)]
            },
            after: [(".BTF", btf(extern: true))])
        return (definitions, uses)
    }

    /// An object from parts: sections (name, type, flags, data), then `.symtab` of `symbols`
    /// (name, info, section index, value, size; a name `@N` is string offset N) and `.strtab`
    /// (`extra` bytes after its first NUL), then the `after` sections; returns the file.
    static func object(
        sections: [(String, SectionType, UInt64, [UInt8])], symbols: [(String, UInt8, Int, UInt64, UInt64)],
        strings extra: [UInt8] = [], after: [(String, [UInt8])] = []
    ) -> [UInt8] {
        func word(_ v: UInt64, _ width: Int) -> [UInt8] {
            (0..<width).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
        }
        var elf = ELFEditor(order: .little)
        for (name, type, flags, data) in sections {
            elf.append(.init(type: type.rawValue, flags: flags, data: data), named: name)
        }
        var names: [UInt8] = [0] + extra
        var table = [UInt8](repeating: 0, count: Symbol.entrySize)
        for (name, info, section, value, size) in symbols {
            let at: UInt64
            if name.hasPrefix("@") {
                at = UInt64(name.dropFirst()) ?? 0
            } else {
                at = UInt64(names.count); names += Array(name.utf8) + [0]
            }
            table += word(at, 4) + [info, 0] + word(UInt64(section), 2) + word(value, 8) + word(size, 8)
        }
        let strtab = elf.sections.count + 1
        elf.append(
            .init(
                type: SectionType.symtab.rawValue, link: UInt32(strtab), info: 1, entrySize: UInt64(Symbol.entrySize),
                data: table),
            named: ".symtab")
        elf.append(.init(type: SectionType.strtab.rawValue, alignment: 1, data: names), named: ".strtab")
        for (name, data) in after {
            elf.append(.init(type: SectionType.progbits.rawValue, alignment: 4, data: data), named: name)
        }
        return elf.bytes
    }

    /// An executable section whose name is `length` bytes and which no symbol names: its one
    /// program is named after the section (that name was built one character at a time, quadratically).
    public static func longSectionName(length: Int) -> [UInt8] {
        let code: [UInt8] = [0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]
        return object(
            sections: [
                (
                    String(repeating: "x", count: length), .progbits,
                    SectionFlags.execInstr.rawValue | SectionFlags.alloc.rawValue, code
                )
            ],
            symbols: [])
    }

    /// A legacy `maps` section of `count` map definitions whose symbols name successive suffixes of
    /// one `length`-byte string (each name a copy of up to `length` bytes: count × length before).
    public static func legacyMapsWithSuffixNames(count: Int, length: Int) -> [UInt8] {
        func word(_ v: UInt64, _ width: Int) -> [UInt8] {
            (0..<width).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
        }
        let definition = word(2, 4) + word(4, 4) + word(8, 4) + word(1, 4) + word(0, 4)
        let maps = (0..<count).flatMap { _ in definition }
        // .strtab: NUL, then the long string at offset 1; symbol i is named from offset 1 + i.
        return object(
            sections: [("maps", .progbits, SectionFlags.alloc.rawValue | 1, maps)],
            symbols: (0..<count).map { ("@\(1 + $0 % max(length, 1))", 0x11, 2, UInt64(20 * $0), 20) },
            strings: [UInt8](repeating: UInt8(ascii: "m"), count: length) + [0])
    }

    /// A `.struct_ops` section holding one `size`-byte variable, listed `entries` times by its DATASEC:
    /// each entry copied the variable's bytes (entries × size).
    public static func structOpsListedTwice(entries: Int, size: Int) -> [UInt8] {
        var blob = HostileBTF.Blob()
        let int = blob.add(blob.name(Array("int".utf8)), .int, 4, [UInt32(IntEncoding.signed.rawValue) << 24 | 32])
        let ops = blob.add(
            blob.name(Array("some_ops".utf8)), .struct, vlen: 1, UInt32(size), [blob.name(Array("x".utf8)), int, 0])
        let variable = blob.add(blob.name(Array("v".utf8)), .variable, ops, [1])
        blob.add(
            blob.name(Array(".struct_ops".utf8)), .dataSection, vlen: entries, UInt32(size),
            (0..<entries).flatMap { _ in [variable, 0, UInt32(size)] })
        return object(
            sections: [(".struct_ops", .progbits, SectionFlags.alloc.rawValue | 1, [UInt8](repeating: 0, count: size))],
            symbols: [("v", 0x11, 2, 0, UInt64(size))], after: [(".BTF", blob.bytes)])
    }
}

/// Objects whose listing or load cost grew with the product of two counts (found by a hostile review).
extension SyntheticObjects {
    private static let exec = SectionFlags.execInstr.rawValue | SectionFlags.alloc.rawValue
    private static let returnZero: [UInt8] = [0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]
    private static let license = ("license", SectionType.progbits, SectionFlags.alloc.rawValue | 1, Array("GPL\0".utf8))

    private static func word(_ v: UInt64, _ width: Int) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
    }

    /// `count` two-instruction entry programs in one `socket` section, and `dataSections` 4-byte
    /// read-only data sections: `.rodata`, `.metadata`, then `.rodata.rN` (each a map of the object).
    public static func manyEntries(count: Int, dataSections: Int = 0) -> [UInt8] {
        var sections = [("socket", SectionType.progbits, exec, (0..<count).flatMap { _ in returnZero }), license]
        for r in 0..<dataSections {
            let name = r == 0 ? ".rodata" : r == 1 ? ".metadata" : ".rodata.r\(r)"
            sections.append((name, .progbits, SectionFlags.alloc.rawValue, [1, 2, 3, 4]))
        }
        return object(
            sections: sections, symbols: (0..<count).map { ("p\($0)", 0x12, firstSection, UInt64(16 * $0), 16) })
    }

    /// `count` subprograms in `.text` and an entry program making `count` relocated calls to the
    /// second instruction of the first, where no program starts: every call names no program.
    public static func callsToNowhere(count: Int) -> [UInt8] {
        let call: [UInt8] = [0x85, 0x10, 0, 0, 0, 0, 0, 0]
        var symbols = (0..<count).map { ("f\($0)", UInt8(0x12), firstSection, UInt64(16 * $0), UInt64(16)) }
        symbols.append(("entry", 0x12, firstSection + 1, 0, UInt64(8 * (count + 2))))
        let base = object(
            sections: [
                (".text", .progbits, exec, (0..<count).flatMap { _ in returnZero }),
                ("socket", .progbits, exec, (0..<count).flatMap { _ in call } + returnZero), license,
            ],
            symbols: symbols)
        let relocations = (0..<count).flatMap { i in word(UInt64(8 * i), 8) + word(UInt64(1) << 32 | 10, 8) }
        return appending(relocations, to: "socket", of: base)
    }

    /// `entries` entry programs in `socket`, each calling (through a relocation) one `size`-instruction
    /// function in `.text`: every linked program carries its own copy of it (entries × size).
    public static func sharedSubprogram(entries: Int, size: Int) -> [UInt8] {
        let call: [UInt8] = [0x85, 0x10, 0, 0, 0xff, 0xff, 0xff, 0xff]
        let body = (0..<max(size - 1, 0)).flatMap { _ in returnZero[0..<8] } + returnZero[8..<16]
        var symbols = [("f0", UInt8(0x12), firstSection, UInt64(0), UInt64(8 * max(size, 1)))]
        symbols += (0..<entries).map { ("p\($0)", UInt8(0x12), firstSection + 1, UInt64(24 * $0), UInt64(24)) }
        let base = object(
            sections: [
                (".text", .progbits, exec, body),
                ("socket", .progbits, exec, (0..<entries).flatMap { _ in call + returnZero }),
                license,
            ], symbols: symbols)
        // Against f0, symbol 1.
        let relocations = (0..<entries).flatMap { i in word(UInt64(24 * i), 8) + word(UInt64(1) << 32 | 10, 8) }
        return appending(relocations, to: "socket", of: base)
    }

    /// One symbol with a `length`-byte name and `count` relocations against it (a listing repeats
    /// the name per relocation), or with `sharedBy` more symbols carrying the same name.
    public static func relocationsToLongName(count: Int, length: Int = 4000, sharedBy: Int = 0) -> [UInt8] {
        let name = String(repeating: "A", count: length)
        var symbols = [(name, UInt8(0x10), firstSection, UInt64(0), UInt64(0))]
        symbols += (0..<sharedBy).map { _ in ("@1", UInt8(0x01), firstSection, UInt64(0), UInt64(0)) }
        let base = object(sections: [("socket", .progbits, exec, returnZero), license], symbols: symbols)
        let relocations = (0..<count).flatMap { _ in word(0, 8) + word(UInt64(1) << 32 | 1, 8) }
        return appending(relocations, to: "socket", of: base)
    }

    /// The index of the first section ``object(sections:symbols:strings:after:)`` appends (after the
    /// null section and the section names).
    private static let firstSection = 2

    /// `object` with the relocation section `.rel<target>` of `relocations` against its `.symtab`.
    private static func appending(_ relocations: [UInt8], to target: String, of object: [UInt8]) -> [UInt8] {
        // Written just above: it reads, and has both sections.
        guard var elf = object.withUnsafeBytes({ ELFEditor($0) }), let symtab = elf.index(named: ".symtab"),
            let section = elf.index(named: target)
        else { return object }
        elf.append(
            .init(
                type: SectionType.rel.rawValue, link: UInt32(symtab), info: UInt32(section), entrySize: 16,
                data: relocations),
            named: ".rel" + target)
        return elf.bytes
    }
}
