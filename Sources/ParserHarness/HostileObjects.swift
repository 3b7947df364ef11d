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
                  let rel = editor.sections.firstIndex(where: { $0.type == SectionType.rel.rawValue && Int($0.link) == symtab
                      && $0.data.count >= 16 && editor.sections.indices.contains(Int($0.info))
                      && editor.sections[Int($0.info)].flags & SectionFlags.execInstr.rawValue != 0 }) else { return nil }
            var copy = editor.sections[symtab]
            copy.type = dynamic ? SectionType.dynsym.rawValue : SectionType.symtab.rawValue
            copy.data += [UInt8](repeating: 0, count: extra * Symbol.entrySize)
            let second = editor.append(copy, named: dynamic ? ".dynsym" : ".symtab2")
            editor.sections[rel].link = UInt32(second)
            let info = editor.read(rel, at: 8, width: 8)
            let beyond = UInt64(copy.data.count / Symbol.entrySize - 1)
            editor.write(beyond << 32 | (info & 0xffff_ffff), width: 8, to: rel, at: 8)
            return editor.bytes
        }
    }
}
