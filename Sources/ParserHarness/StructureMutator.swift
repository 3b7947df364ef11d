import BTF
import ELF64

/// Structure-aware mutations for libFuzzer's custom mutator: edits that keep an input's parts
/// consistent with each other, which byte flips almost never do — a second symbol table a
/// relocation section links to, a section header pointing elsewhere, a relocation naming another
/// symbol, a BTF type referring to another (cycles and DAGs), a vlen, kind or size changed.
///
/// Deterministic in `seed` (libFuzzer replays a mutation from it); `nil` when the input has no
/// structure to edit (the caller then mutates bytes).
public struct StructureMutator {
    private var state: UInt64

    public init(seed: UInt32) { state = UInt64(seed) &* 0x9e37_79b9_7f4a_7c15 | 1 }

    /// A pseudo-random number in `0..<bound`.
    mutating func next(_ bound: Int) -> Int {
        bound <= 0 ? 0 : Int(truncatingIfNeeded: next() >> 1) % bound
    }

    /// One structural edit of an ELF object: its headers, symbols, relocations, or its `.BTF`.
    public mutating func mutateELF(_ bytes: [UInt8]) -> [UInt8]? {
        guard var editor = bytes.withUnsafeBytes({ ELFEditor($0) }), editor.sections.count > 1 else { return nil }
        let sections = editor.sections.count
        let pick = 1 + next(sections - 1)
        switch next(10) {
        case 0: editor.sections[pick].link = UInt32(next(sections + 2))
        case 1: editor.sections[pick].info = UInt32(next(sections + 2))
        case 2:
            let types: [SectionType] = [
                .progbits, .symtab, .strtab, .rel, .rela, .nobits, .dynsym, .symtabShndx, .llvmAddrsig,
            ]
            editor.sections[pick].type = types[next(types.count)].rawValue
        case 3:
            // Grow or cut a section's bytes (sizes stay consistent: the writer lays sections out anew).
            let data = editor.sections[pick].data
            editor.sections[pick].data =
                next(2) == 0 ? Array(data.prefix(next(data.count + 1))) : data + data.prefix(next(64) * 8)
        case 4:
            // A second symbol table (or a dynamic one) some relocation section links to.
            return HostileObjects.secondSymbolTable(bytes, dynamic: next(2) == 0, extra: next(64))
        case 5:
            // A relocation names another symbol (possibly past the table) or lands elsewhere.
            guard
                let rel = editor.sections.indices.filter({
                    editor.sections[$0].type == SectionType.rel.rawValue && editor.sections[$0].data.count >= 16
                }).randomElement(using: &self)
            else { return nil }
            let at = 16 * next(editor.sections[rel].data.count / 16)
            if next(2) == 0 {
                let info = editor.read(rel, at: at + 8, width: 8)
                editor.write(UInt64(next(512)) << 32 | info & 0xffff_ffff, width: 8, to: rel, at: at + 8)
            } else {
                editor.write(UInt64(8 * next(256)), width: 8, to: rel, at: at)
            }
        case 6:
            // A symbol moves to another section, value or size.
            guard let symtab = editor.index(ofType: .symtab), editor.sections[symtab].data.count >= 48 else {
                return nil
            }
            let at = Symbol.entrySize * (1 + next(editor.sections[symtab].data.count / Symbol.entrySize - 1))
            switch next(3) {
            case 0: editor.write(UInt64(next(sections + 2)), width: 2, to: symtab, at: at + 6)
            case 1: editor.write(UInt64(8 * next(512)), width: 8, to: symtab, at: at + 8)
            default: editor.write(UInt64(8 * next(512)), width: 8, to: symtab, at: at + 16)
            }
        case 7:
            // A section duplicated (a relocation section twice, a second `.maps`, a second `.BTF`…).
            editor.sections.append(editor.sections[pick])
        case 8:
            // An instruction's source register set: a pseudo source without relocation, or a call kind.
            guard
                let code = editor.sections.indices.filter({
                    editor.sections[$0].flags & SectionFlags.execInstr.rawValue != 0
                        && editor.sections[$0].data.count >= 16
                }).randomElement(using: &self)
            else { return nil }
            let at = 8 * next(editor.sections[code].data.count / 8)
            editor.write(UInt64(next(7)) << (editor.order == .little ? 4 : 0), width: 1, to: code, at: at + 1)
        default:
            // The object's BTF, edited as BTF.
            guard let btf = editor.index(named: ".BTF"), let mutated = mutateBTF(editor.sections[btf].data) else {
                return nil
            }
            editor.sections[btf].data = mutated
        }
        return editor.bytes
    }

    /// One structural edit of a raw BTF blob: a type's reference retargeted (cycles, DAGs, self
    /// references), its kind, vlen or size changed, a member's type or offset rewritten, or a type
    /// appended that refers back to an existing one.
    public mutating func mutateBTF(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 24 else { return nil }  // the BTF header
        var blob = bytes
        let recordStarts: [Int] = bytes.withUnsafeBytes { raw in
            guard let btf = try? BTF(unsafeBytes: raw) else { return [] }
            var starts: [Int] = []
            var id = btf.firstID
            while id < btf.endID, starts.count < 1 << 16 {
                if let at = btf.recordOffset(of: id) { starts.append(at) }
                id += 1
            }
            return starts
        }
        guard !recordStarts.isEmpty else { return nil }
        let little = bytes[0] == 0x9f
        func read(_ at: Int) -> UInt32 {
            guard at >= 0, at + 4 <= blob.count else { return 0 }
            let b = blob[at..<at + 4].map(UInt32.init)
            return little ? b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24 : b[3] | b[2] << 8 | b[1] << 16 | b[0] << 24
        }
        func write(_ value: UInt32, _ at: Int) {
            guard at >= 0, at + 4 <= blob.count else { return }
            for i in 0..<4 { blob[at + (little ? i : 3 - i)] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
        }
        let headerLength = Int(read(4)), typeOffset = Int(read(8)), typeLength = Int(read(12)),
            stringOffset = Int(read(16))
        let typesEnd = headerLength + typeOffset + typeLength
        let count = recordStarts.count
        let index = next(count), at = recordStarts[index]
        let length = (index + 1 < count ? recordStarts[index + 1] : typesEnd) - at
        let anyID = UInt32(next(count + 2))
        let info = read(at + 4)
        switch next(6) {
        case 0: write(anyID, at + 8)  // size or referenced type: a pointer to itself, a typedef cycle, a DAG
        case 1: write(info & ~0xffff | UInt32(next(4) == 0 ? next(1 << 16) : next(8)), at + 4)  // vlen
        case 2: write(info & ~(0x1f << 24) | UInt32(1 + next(19)) << 24, at + 4)  // kind
        case 3: write(UInt32(next(4) == 0 ? Int(UInt32.max) - next(16) : next(1 << 12)), at + 8)  // size
        case 4:
            // A word of a member, parameter, variable or enumerator other than its name: a type id or an offset.
            let entries = (length - 12) / 4
            guard entries > 0 else { return nil }
            let word = at + 12 + 4 * next(entries)
            write(next(2) == 0 ? anyID : UInt32(8 * next(1 << 16)), word)
        default:
            // A copy of the type appended (same name, same references): repeated names, shared targets.
            guard length >= 12, at + length <= blob.count, typesEnd <= blob.count else { return nil }
            blob.insert(contentsOf: Array(blob[at..<at + length]), at: typesEnd)
            write(UInt32(typeLength + length), 12)
            if stringOffset >= typeOffset + typeLength { write(UInt32(stringOffset + length), 16) }
        }
        return blob
    }
}

extension StructureMutator: RandomNumberGenerator {
    public mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_f491_4f6c_dd1d
    }
}
