import BTF
import ELF64

extension ObjectSpec {
    /// The bytes of the object's BTF to load into a kernel that knows `supported` kinds: the
    /// types of ``kernelBTF()``, sanitized and encoded — or, when no extern and no kind needs
    /// rewriting (the usual case), the object's own blob with its DATASECs patched in place,
    /// as libbpf does, which keeps the load's user-space time down.
    public func kernelBTFBytes(supporting supported: BTFKindSupport) throws(ObjectError) -> [UInt8]? {
        guard let btf else { return nil }
        if supported == .all, btf.byteOrder == .host, let patched = try dataSectionsPatchedInPlace(btf) { return patched }
        guard var builder = try kernelBTF() else { return nil }
        if supported != .all { builder.sanitize(for: supported) }
        return builder.encode(byteOrder: .host)
    }

    /// The blob with each DATASEC's size and variable offsets filled in and its variables in
    /// offset order; nil when the object has externs (their rewrites need ``kernelBTF()``).
    private func dataSectionsPatchedInPlace(_ btf: BTF) throws(ObjectError) -> [UInt8]? {
        // Extern variables live in .ksyms and .kconfig; extern functions (kfuncs) may sit anywhere.
        guard ksymExterns.isEmpty, kconfigExterns.isEmpty, dataSections[".ksyms"] == nil, dataSections[".kconfig"] == nil else { return nil }
        do {
            for (id, _) in btf.types(ofKind: .function) where try btf.type(id).linkage == Linkage.external.rawValue { return nil }
        } catch { throw .btf(error) }

        let table: SymbolTable?
        do { table = try elf.symbolTable() } catch { throw .elf(error) }
        guard let symbols = table else { return nil }
        var bytes = Array(btf.bytes)
        for id in dataSections.values.sorted() {
            let datasec: BTFType
            do { datasec = try btf.type(id) } catch { throw .btf(error) }
            guard let section = elf.section(named: String(datasec.name)), let record = btf.recordOffset(of: id) else { continue }
            var offsets: [ByteString: UInt32] = [:]
            for symbol in symbols where symbol.section == .index(section.index) {
                if offsets[symbol.name] == nil { offsets[symbol.name] = UInt32(truncatingIfNeeded: symbol.value) }
            }
            var entries: [(type: UInt32, offset: UInt32, size: UInt32)] = []
            for variable in datasec.variables {
                let variableName: ByteString
                do { variableName = try btf.type(variable.type).name } catch { throw .btf(error) }
                entries.append((variable.type, offsets[variableName] ?? variable.offset, variable.size))
            }
            entries.sort { $0.offset < $1.offset }
            Self.store(UInt32(truncatingIfNeeded: section.size), at: record + 8, in: &bytes)
            for (i, entry) in entries.enumerated() {
                let at = record + 12 + 12 * i
                Self.store(entry.type, at: at, in: &bytes)
                Self.store(entry.offset, at: at + 4, in: &bytes)
                Self.store(entry.size, at: at + 8, in: &bytes)
            }
        }
        return bytes
    }

    private static func store(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
        withUnsafeBytes(of: value) { for (i, byte) in $0.enumerated() where offset + i < bytes.count { bytes[offset + i] = byte } }
    }

    /// The object's BTF as the kernel must receive it: clang leaves each DATASEC's size and its
    /// variables' offsets at 0; they are filled in from the ELF section sizes and symbol values,
    /// as libbpf does. Returns the types in wire form, ready to be sanitized and encoded.
    public func kernelBTF() throws(ObjectError) -> BTFBuilder? {
        guard let btf else { return nil }
        var builder: BTFBuilder
        do { builder = try BTFBuilder(decoding: btf) } catch { throw .btf(error) }
        let symbols: SymbolTable?
        do { symbols = try elf.symbolTable() } catch { throw .elf(error) }
        // Nor extern FUNCs (kfunc declarations): they become global, and their unnamed
        // parameters get a name (the kernel checks global functions' arguments), as libbpf does.
        for index in builder.types.indices where builder.types[index].kind == .function && builder.types[index].vlen == UInt16(Linkage.external.rawValue) {
            builder.types[index].vlen = UInt16(Linkage.global.rawValue)
            let proto = Int(builder.types[index].sizeOrType) - 1
            guard proto >= 0, proto < builder.types.count, builder.types[proto].kind == .functionProto else { continue }
            for word in stride(from: 0, to: builder.types[proto].trailing.count, by: 2) where builder.types[proto].trailing[word] == .name("") {
                builder.types[proto].trailing[word] = .name("dummy_ksym")
            }
        }
        // The kernel takes no extern VARs: they become allocated globals, placed where the loader put them.
        for index in builder.types.indices where builder.types[index].kind == .variable && builder.types[index].trailing == [.value(Linkage.external.rawValue)] {
            builder.types[index].trailing = [.value(Linkage.global.rawValue)]
        }
        for index in builder.types.indices where builder.types[index].kind == .dataSection && builder.types[index].name == ".kconfig" {
            guard let map = kconfigMapIndex else { continue }
            builder.types[index].sizeOrType = maps[map].valueSize
            var entries = builder.types[index].trailing
            var entry = 0
            while entry + 2 < entries.count {
                if case let .value(variable) = entries[entry], variable >= 1, Int(variable) <= builder.types.count,
                   let extern = kconfigExterns.first(where: { $0.name == builder.types[Int(variable) - 1].name }) {
                    entries[entry + 1] = .value(extern.offset)
                }
                entry += 3
            }
            builder.types[index].trailing = entries
        }
        for index in builder.types.indices where builder.types[index].kind == .dataSection {
            let name = builder.types[index].name
            guard let section = elf.section(named: name) else { continue }
            builder.types[index].sizeOrType = UInt32(truncatingIfNeeded: section.size)
            var entries = builder.types[index].trailing
            var entry = 0
            while entry + 2 < entries.count {
                if case let .value(variable) = entries[entry], variable >= 1, Int(variable) <= builder.types.count {
                    let variableName = builder.types[Int(variable) - 1].name
                    if let symbol = symbols?.first(where: { $0.section == .index(section.index) && $0.name == variableName }) {
                        entries[entry + 1] = .value(UInt32(truncatingIfNeeded: symbol.value))
                    }
                }
                entry += 3
            }
            builder.types[index].trailing = entries
        }
        // .ksyms lists externs the kernel cannot take as they are: as libbpf does, every entry
        // becomes a 4-byte allocated int variable (functions share one dummy variable).
        if let ksyms = builder.types.firstIndex(where: { $0.kind == .dataSection && $0.name == ".ksyms" }) {
            let int: TypeID
            if let existing = builder.types.firstIndex(where: { $0.kind == .int && $0.name == "int" && $0.sizeOrType == 4 }) {
                int = TypeID(existing + 1)
            } else {
                int = builder.add(.int("int", size: 4, encoding: .signed))
            }
            var dummy: TypeID?
            var entries = builder.types[ksyms].trailing
            var entry = 0, offset: UInt32 = 0
            while entry + 2 < entries.count {
                if case let .value(id) = entries[entry], id >= 1, Int(id) <= builder.types.count {
                    if builder.types[Int(id) - 1].kind == .function {
                        if dummy == nil {
                            dummy = builder.add(TypeRecord(kind: .variable, name: "dummy_ksym", sizeOrType: int, trailing: [.value(Linkage.global.rawValue)]))
                        }
                        entries[entry] = .value(dummy ?? id)
                    } else if builder.types[Int(id) - 1].kind == .variable {
                        builder.types[Int(id) - 1].sizeOrType = int
                        builder.types[Int(id) - 1].trailing = [.value(Linkage.global.rawValue)]
                    }
                }
                entries[entry + 1] = .value(offset)
                entries[entry + 2] = .value(4)
                offset += 4
                entry += 3
            }
            builder.types[ksyms].trailing = entries
            builder.types[ksyms].sizeOrType = offset
        }
        // The kernel wants each DATASEC's variables in ascending offset order.
        for index in builder.types.indices where builder.types[index].kind == .dataSection {
            let words = builder.types[index].trailing
            var triples = stride(from: 0, to: words.count - words.count % 3, by: 3).map { Array(words[$0..<$0 + 3]) }
            triples.sort { a, b in
                if case let .value(x) = a[1], case let .value(y) = b[1] { return x < y }
                return false
            }
            builder.types[index].trailing = triples.flatMap { $0 }
        }
        return builder
    }
}
