import BTF
import ELF64

/// Generators of hostile objects, one per class of bug found: each takes a real object and
/// rewrites it into the worst case of its class, with every other part still consistent.
/// Tests keep them (the bug stays fixed); the structure-aware mutators apply them at random.
public enum HostileObjects {
    /// A second, larger symbol table (`SHT_SYMTAB` or `SHT_DYNSYM`) that the first relocation
    /// section links to, and a relocation naming a symbol index valid only there.
    /// `nil` when `object` has no symbol table or no relocation section.
    public static func secondSymbolTable(_ object: [UInt8], dynamic: Bool = false, extra: Int = 1000) -> [UInt8]? {
        object.withUnsafeBytes { raw in
            guard var editor = ELFEditor(raw), let symtab = editor.index(ofType: .symtab),
                let rel = editor.sections.firstIndex(where: {
                    $0.type == SectionType.rel.rawValue && Int($0.link) == symtab
                        && $0.data.count >= 16 && editor.sections.indices.contains(Int($0.info))
                        && editor.sections[Int($0.info)].flags & SectionFlags.execInstr.rawValue != 0
                })
            else { return nil }
            var copy = editor.sections[symtab]
            copy.type = dynamic ? SectionType.dynsym.rawValue : SectionType.symtab.rawValue
            copy.data += [UInt8](repeating: 0, count: extra * Symbol.entrySize)
            let second = editor.append(copy, named: dynamic ? ".dynsym" : ".symtab2")
            editor.sections[rel].link = UInt32(second)
            let info = editor.read(rel, at: 8, width: 8)
            guard copy.data.count >= Symbol.entrySize else { return nil }
            let beyond = UInt64(copy.data.count / Symbol.entrySize - 1)
            editor.write(beyond << 32 | (info & 0xffff_ffff), width: 8, to: rel, at: 8)
            return editor.bytes
        }
    }

    /// `copies` more relocation sections whose headers name the bytes of the largest relocation
    /// section of a program (same target, same symbol table): sections sharing bytes, each read
    /// whole, turned a file of N headers over R relocations into N×R references (N = R = 8,000:
    /// a 769 KB file, 64 M references, 3.3 GB). `nil` without such a relocation section.
    public static func sharedRelocationBytes(_ object: [UInt8], copies: Int) -> [UInt8]? {
        object.withUnsafeBytes { raw -> [UInt8]? in
            guard var editor = ELFEditor(raw),
                let rel = editor.sections.indices.filter({
                    editor.sections[$0].type == SectionType.rel.rawValue && !editor.sections[$0].data.isEmpty
                        && editor.sections.indices.contains(Int(editor.sections[$0].info))
                        && editor.sections[Int(editor.sections[$0].info)].flags & SectionFlags.execInstr.rawValue != 0
                }).max(by: { editor.sections[$0].data.count < editor.sections[$1].data.count })
            else { return nil }
            var copy = editor.sections[rel]
            copy.data = []
            copy.sharingBytesOf = rel
            for i in 0..<copies { editor.append(copy, named: ".rel.copy\(i)") }
            return editor.bytes
        }
    }

    /// A BTF map definition whose `values` points back to itself (`struct S { values: S*[] }`):
    /// the `values` element pointer of map `map` is retargeted to the map's own struct.
    public static func recursiveMapDefinition(_ object: [UInt8], map: String = "outer") -> [UInt8]? {
        editBTF(object) { btf, write in
            guard let variable = btf.typeIDs(named: map, kind: .variable).first,
                let definition = try? btf.resolve(try btf.type(variable).referencedType),
                let values = try? btf.type(definition).members.first(where: { $0.name == "values" }),
                let array = try? btf.type(btf.resolve(values.type)), array.kind == .array,
                let pointer = try? btf.resolve(array.arrayInfo.element)
            else { return false }
            return write(pointer, 8, definition)
        }
    }

    /// Rewrites words of the `.BTF` section in place: `body` gets the BTF and a writer of one
    /// 32-bit word at a byte offset of a type's record, and says whether it changed anything.
    static func editBTF(_ object: [UInt8], _ body: (BTF, (TypeID, Int, UInt32) -> Bool) -> Bool) -> [UInt8]? {
        object.withUnsafeBytes { raw -> [UInt8]? in
            guard var editor = ELFEditor(raw), let index = editor.index(named: ".BTF") else { return nil }
            let data = editor.sections[index].data
            let changed = data.withUnsafeBytes { blob -> Bool in
                guard let btf = try? BTF(unsafeBytes: blob) else { return false }
                return body(btf) { id, offset, value in
                    guard let at = btf.recordOffset(of: id) else { return false }
                    editor.write(UInt64(value), width: 4, to: index, at: at + offset)
                    return true
                }
            }
            return changed ? editor.bytes : nil
        }
    }

    /// A `__kconfig` extern whose integer type claims 0 bytes (signed, 0 bits), as the
    /// `LINUX_KERNEL_VERSION` of an object that has other externs beside it.
    public static func zeroSizeKconfigExtern(_ object: [UInt8], extern: String = "LINUX_KERNEL_VERSION") -> [UInt8]? {
        editBTF(object) { btf, write in
            guard let variable = btf.typeIDs(named: extern, kind: .variable).first,
                let int = try? btf.resolve(try btf.type(variable).referencedType),
                (try? btf.type(int))?.kind == .int
            else { return false }
            return write(int, 8, 0) && write(int, 12, UInt32(IntEncoding.signed.rawValue) << 24)
        }
    }

    /// Map `map`'s definition member `member` renamed `renamed` and given the type that map
    /// `donor`'s member `donorMember` has: e.g. a program array's `max_entries` turned into
    /// `__uint(value_size, 64)` beside its `values` (slot values larger than the ids written).
    public static func rewrittenMapMember(
        _ object: [UInt8], map: String, member: String, renamed: String,
        typeOf donorMember: String, in donor: String
    ) -> [UInt8]? {
        editBTF(object) { btf, write in
            func definition(_ name: String) -> BTFType? {
                guard let variable = btf.typeIDs(named: name, kind: .variable).first,
                    let id = try? btf.resolve(try btf.type(variable).referencedType)
                else { return nil }
                return try? btf.type(id)
            }
            guard let target = definition(map), let donor = definition(donor),
                let index = target.members.firstIndex(where: { $0.name == member }),
                let type = donor.members.first(where: { $0.name == donorMember })?.type,
                let name = stringOffset(renamed, in: btf)
            else { return false }
            // Members follow the 12-byte header: name offset, type, bit offset.
            return write(target.id, 12 + 12 * index, name) && write(target.id, 16 + 12 * index, type)
        }
    }

    /// The offset of `string` in the BTF's string section, found among member names.
    static func stringOffset(_ string: String, in btf: BTF) -> UInt32? {
        var id = btf.firstID
        while id < btf.endID {
            if let t = try? btf.type(id), let m = t.members.first(where: { $0.name == string }) { return m.nameOffset }
            id += 1
        }
        return nil
    }

    /// The symbol named `name` renamed `renamed` (appended to the symbol string table): e.g. a
    /// program named `../../escape`, for tools that build paths from program names.
    public static func renamedSymbol(_ object: [UInt8], _ name: String, to renamed: String) -> [UInt8]? {
        object.withUnsafeBytes { raw -> [UInt8]? in
            guard var editor = ELFEditor(raw), let file = try? ELFFile(unsafeBytes: raw),
                let symbols = try? file.symbolTable(), let symbol = symbols.first(where: { $0.name == name })
            else { return nil }
            let strings = symbols.strings.index
            let offset = editor.sections[strings].data.count
            editor.sections[strings].data += Array(renamed.utf8) + [0]
            editor.write(UInt64(offset), width: 4, to: symbols.section.index, at: symbol.index * Symbol.entrySize)
            return editor.bytes
        }
    }

    /// The first two instructions of the first program section no relocation touches there,
    /// rewritten as `ld_imm64 r1` (or, with `call`, a call in the first) carrying kernel source
    /// `source` and immediate `immediate`: e.g. `BPF_PSEUDO_MAP_FD` naming descriptor 3 of the loader.
    public static func pseudoSourceWithoutRelocation(
        _ object: [UInt8], source: UInt8, immediate: Int32, call: Bool = false
    ) -> [UInt8]? {
        object.withUnsafeBytes { raw -> [UInt8]? in
            guard var editor = ELFEditor(raw) else { return nil }
            let exec = SectionFlags.execInstr.rawValue
            let touched = Set(
                editor.sections.indices.filter { editor.sections[$0].type == SectionType.rel.rawValue }.flatMap { rel in
                    stride(from: 0, to: editor.sections[rel].data.count - 15, by: 16).compactMap { at in
                        editor.read(rel, at: at, width: 8) < 16 ? Int(editor.sections[rel].info) : nil
                    }
                })
            guard
                let code = editor.sections.indices.first(where: {
                    editor.sections[$0].flags & exec != 0 && editor.sections[$0].data.count >= 24
                        && !touched.contains($0)
                })
            else { return nil }
            let registers =
                UInt64(source) << (editor.order == .little ? 4 : 0)
                | (call ? 0 : UInt64(1) << (editor.order == .little ? 0 : 4))
            editor.write(UInt64(call ? 0x85 : 0x18), width: 1, to: code, at: 0)
            editor.write(registers, width: 1, to: code, at: 1)
            editor.write(UInt64(UInt32(bitPattern: immediate)), width: 4, to: code, at: 4)
            if !call { editor.write(0, width: 8, to: code, at: 8) }
            return editor.bytes
        }
    }

    /// The `.maps` DATASEC's second entry made to list the first entry's variable again: each
    /// entry walked the definition (a DATASEC of V entries over one M-member struct: V × M).
    public static func mapListedTwice(_ object: [UInt8]) -> [UInt8]? {
        editBTF(object) { btf, write in
            guard let datasec = btf.typeIDs(named: ".maps", kind: .dataSection).first,
                let entries = try? btf.type(datasec).variables, entries.count >= 2
            else { return false }
            // DATASEC entries follow the 12-byte header: type, offset, size.
            return write(datasec, 12 + 12, entries[0].type)
        }
    }
}
