import ELF64

extension BTF {
    /// Writes every own type in the text layout of `bpftool btf dump file … format raw`.
    /// At most 64 times the blob's size and 64 KiB of text (members naming suffixes of one long string
    /// would print members × length): past that, `outputTooLarge`.
    public func dumpRaw(to out: inout some TextOutputStream) throws(BTFError) {
        let limit = 64 * bytes.count + (1 << 16)
        var written = 0
        var id = firstID
        while id < endID {
            let line = try rawLine(for: type(id), budget: limit - written)
            written += line.utf8.count
            guard written <= limit else { throw BTFError(.outputTooLarge(limit: limit), typeID: id) }
            out.write(line)
            id += 1
        }
    }

    /// One type as bpftool prints it, with its trailing newline.
    public func rawLine(for t: BTFType) throws(BTFError) -> String {
        try rawLine(for: t, budget: .max)
    }

    /// One type's line, an `outputTooLarge` error once it passes `budget` bytes (checked per entry).
    func rawLine(for t: BTFType, budget: Int) throws(BTFError) -> String {
        try t.validateNames()
        var line = "[\(t.id)] \(t.kind) '\(Self.quoted(t.name, offset: t.nameOffset))'"
        switch t.kind {
        case .int:
            let (encoding, bitOffset, bits) = t.intInfo
            line += " size=\(t.size) bits_offset=\(bitOffset) nr_bits=\(bits) encoding=\(Self.encodingName(encoding))"
        case .pointer, .const, .volatile, .restrict, .typedef, .typeTag:
            line += " type_id=\(t.referencedType)"
        case .array:
            let a = t.arrayInfo
            line += " type_id=\(a.element) index_type_id=\(a.index) nr_elems=\(a.count)"
        case .struct, .union:
            line += " size=\(t.size) vlen=\(t.vlen)"
            for m in t.members {
                line +=
                    "\n\t'\(Self.quoted(m.name, offset: m.nameOffset))' type_id=\(m.type) bits_offset=\(m.bitOffset)"
                if m.bitfieldSize != 0 { line += " bitfield_size=\(m.bitfieldSize)" }
                if line.utf8.count > budget { break }  // thrown below
            }
        case .enum, .enum64:
            line += " encoding=\(t.isSigned ? "SIGNED" : "UNSIGNED") size=\(t.size) vlen=\(t.vlen)"
            for e in t.enumerators {
                let name = Self.quoted(e.name, offset: e.nameOffset)
                switch (t.kind, t.isSigned) {
                case (.enum, true): line += "\n\t'\(name)' val=\(Int32(truncatingIfNeeded: e.signedValue))"
                case (.enum, false): line += "\n\t'\(name)' val=\(UInt32(truncatingIfNeeded: e.value))"
                case (_, true): line += "\n\t'\(name)' val=\(e.signedValue)LL"
                default: line += "\n\t'\(name)' val=\(e.value)ULL"
                }
                if line.utf8.count > budget { break }  // thrown below
            }
        case .forward:
            line += " fwd_kind=\(t.kindFlag ? "union" : "struct")"
        case .function:
            line += " type_id=\(t.referencedType) linkage=\(Self.linkageName(t.linkage))"
        case .functionProto:
            line += " ret_type_id=\(t.referencedType) vlen=\(t.vlen)"
            for p in t.parameters {
                line += "\n\t'\(Self.quoted(p.name, offset: p.nameOffset))' type_id=\(p.type)"
                if line.utf8.count > budget { break }  // thrown below
            }
        case .variable:
            line += " type_id=\(t.referencedType), linkage=\(Self.linkageName(t.linkage))"
        case .dataSection:
            line += " size=\(t.size) vlen=\(t.vlen)"
            for v in t.variables {
                line += "\n\ttype_id=\(v.type) offset=\(v.offset) size=\(v.size)"
                if v.type == 0 {
                    line += " (UNKNOWN '(anon)')"
                } else if v.type < endID {
                    let target = try type(v.type)
                    line += " (\(target.kind) '\(Self.quoted(target.name, offset: target.nameOffset))')"
                }
                if line.utf8.count > budget { break }  // thrown below
            }
        case .float:
            line += " size=\(t.size)"
        case .declTag:
            line += " type_id=\(t.referencedType) component_idx=\(t.componentIndex)"
        }
        guard line.utf8.count < budget else { throw BTFError(.outputTooLarge(limit: budget), typeID: t.id) }
        return line + "\n"
    }

    /// bpftool prints offset 0 as `(anon)`.
    static func quoted(_ name: ByteString, offset: UInt32) -> String {
        offset == 0 ? "(anon)" : String(name)
    }

    static func encodingName(_ e: IntEncoding) -> String {
        switch e.rawValue {
        case 0: "(none)"
        case 1: "SIGNED"
        case 2: "CHAR"
        case 4: "BOOL"
        default: "UNKN"
        }
    }

    static func linkageName(_ raw: UInt32) -> String {
        Linkage(rawValue: raw)?.description ?? "(unknown)"
    }
}
