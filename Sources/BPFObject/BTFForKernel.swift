import BTF
import ELF64

extension ObjectSpec {
    /// The bytes of the object's BTF to load into a kernel that knows `supported` kinds. When no
    /// extern and no kind needs rewriting (the usual case) they are the object's own blob with
    /// its DATASECs fixed in place, as libbpf does, which keeps the load's user-space time
    /// down; otherwise the types of ``btfForKernel()``, sanitized and encoded.
    public func btfBytesForKernel(supporting supported: BTFKindSupport) throws(ObjectError) -> [UInt8]? {
        guard let bytes = try btfBufferForKernel(supporting: supported) else { return nil }
        defer { bytes.deallocate() }
        return Array(bytes)
    }

    /// ``btfBytesForKernel(supporting:)`` in a buffer the caller deallocates (no array made: what
    /// the loader hands the kernel, which copies it).
    package func btfBufferForKernel(
        supporting supported: BTFKindSupport
    ) throws(ObjectError)
        -> UnsafeMutableRawBufferPointer?
    {
        guard let btf else { return nil }
        if supported == .all, btf.byteOrder == .host, !needsNewTypes(btf) {
            let bytes = try dataSectionsFixed(btf)
            for id in hiddenSubprogramFunctions(btf) {
                // FUNC's info word: kind in bits 24-28, linkage in vlen (BTF_FUNC_STATIC is 0).
                guard let record = btf.recordOffset(of: id) else { continue }
                store(UInt32(Kind.function.rawValue) << 24, at: record + 4, in: bytes, order: btf.byteOrder)
            }
            do { try kconfigFixed(btf, bytes) } catch {
                bytes.deallocate()
                throw error
            }
            return bytes
        }
        guard var builder = try btfForKernel() else { return nil }
        if supported != .all { builder.sanitize(for: supported) }
        let encoded = builder.encode(byteOrder: .host)
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: encoded.count, alignment: 8)
        bytes.copyBytes(from: encoded)
        return bytes
    }

    /// Whether making the kernel's BTF takes types or names the object lacks: `.ksyms` (its entries
    /// become `int` variables) or an extern FUNC (a kfunc declaration, its parameters named).
    /// `.kconfig`'s rewrite is made in place (``kconfigFixed(_:_:)``).
    private func needsNewTypes(_ btf: BTF) -> Bool {
        guard ksymExterns.isEmpty, dataSections[".ksyms"] == nil else { return true }
        return btf.containsType(ofKind: .function, vlen: UInt16(Linkage.external.rawValue))
    }

    /// In the object's own blob, what ``btfForKernel()`` makes of `__kconfig` externs: extern VARs
    /// become allocated globals, `.kconfig` is the map's size with each variable where the loader
    /// placed its extern, and every DATASEC the DATASEC fix-up did not place lists its variables in
    /// offset order.
    private func kconfigFixed(_ btf: BTF, _ bytes: UnsafeMutableRawBufferPointer) throws(ObjectError) {
        guard !kconfigExterns.isEmpty || dataSections[".kconfig"] != nil else { return }
        // The DATASECs the fix-up placed hold their fixed entries in `bytes` already (a set: an
        // object may list thousands).
        let placed = Set(dataSectionPlacements.lazy.map(\.id))
        do {
            var id = btf.firstID
            while id < btf.endID {
                defer { id += 1 }
                // Only VARs and DATASECs change: other kinds are passed over on their header alone.
                let kind = try btf.header(id).kind
                guard kind == .variable || kind == .dataSection else { continue }
                let declared = try btf.declaration(id)
                if declared.kind == .variable, declared.linkage == UInt32(Linkage.external.rawValue),
                    let record = btf.recordOffset(of: id)
                {
                    store(UInt32(Linkage.global.rawValue), at: record + 12, in: bytes, order: btf.byteOrder)
                }
                guard declared.kind == .dataSection, !placed.contains(id),
                    let record = btf.recordOffset(of: id)
                else { continue }
                let datasec = try btf.type(id)
                var entries = datasec.variables.map { (type: $0.type, offset: $0.offset, size: $0.size) }
                if declared.name.matches(".kconfig"), let map = kconfigMapIndex {
                    store(maps[map].valueSize, at: record + 8, in: bytes, order: btf.byteOrder)
                    for index in entries.indices {
                        // (A variable id the BTF lacks keeps its entry, as the rewrite of decoded types keeps it.)
                        guard let name = try? btf.name(of: entries[index].type),
                            let extern = externIndex.kconfig[String(name)]
                        else { continue }
                        entries[index].offset = kconfigExterns[Int(extern)].offset
                    }
                }
                storeSorted(&entries, of: record, in: bytes, order: btf.byteOrder)
            }
        } catch {
            throw .btf(error)
        }
    }

    /// A copy of the object's blob (the caller deallocates it) with each DATASEC that names an ELF
    /// section given that section's size, its variables the offsets of their symbols (clang leaves
    /// both at 0), in offset order. (A buffer, not an array: no object to count references of.)
    private func dataSectionsFixed(_ btf: BTF) throws(ObjectError) -> UnsafeMutableRawBufferPointer {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: btf.bytes.count, alignment: 8)
        bytes.copyMemory(from: btf.bytes)
        do { try fixDataSections(btf, in: bytes) } catch {
            bytes.deallocate()
            throw error
        }
        return bytes
    }

    private func fixDataSections(_ btf: BTF, in bytes: UnsafeMutableRawBufferPointer) throws(ObjectError) {
        // The DATASECs to fix (all of them, as the spec placed them on open), each with its ELF section
        // and its symbols gathered by name on open. Only offsets change: they are written in place,
        // and sorted only when they come out of order.
        for fix in dataSectionPlacements {
            guard let record = btf.recordOffset(of: fix.id) else { continue }
            let datasec: BTFType
            do { datasec = try btf.type(fix.id) } catch { throw .btf(error) }
            store(UInt32(truncatingIfNeeded: fix.size), at: record + 8, in: bytes, order: btf.byteOrder)
            var inOrder = true, previous: UInt32 = 0, count = 0
            for variable in datasec.variables {
                // A variable the symbols do not place (or an id hostile BTF gets wrong) keeps its offset.
                if let offset = (try? btf.name(of: variable.type)).flatMap({
                    dataSymbolOffsets[SectionSymbol(section: fix.section, name: $0)]
                }) {
                    store(offset, at: record + 16 + 12 * count, in: bytes, order: btf.byteOrder)
                    inOrder = inOrder && offset >= previous
                    previous = offset
                } else {
                    inOrder = inOrder && variable.offset >= previous
                    previous = variable.offset
                }
                count += 1
            }
            guard !inOrder else { continue }
            var entries: [DataSectionEntry] = []
            entries.reserveCapacity(count)
            // The entries were read from these bytes: their range lies inside.
            guard
                let entry = ByteReader(UnsafeRawBufferPointer(bytes), order: btf.byteOrder)
                    .record(at: UInt64(record + 12), size: 12 * count)
            else { continue }
            for i in 0..<count { entries.append((entry.u32(12 * i), entry.u32(12 * i + 4), entry.u32(12 * i + 8))) }
            storeSorted(&entries, of: record, in: bytes, order: btf.byteOrder)
        }
    }

    /// The global FUNCs of subprograms declared `__hidden`, which libbpf makes static: the first
    /// global FUNC of each such name (no name index is built when the object has none, the usual case).
    private func hiddenSubprogramFunctions(_ btf: BTF) -> [TypeID] {
        guard programs.contains(where: { $0.isHidden && $0.isSubprogram }) else { return [] }
        let hidden = Set(programs.lazy.filter { $0.isHidden && $0.isSubprogram }.map(\.name))
        var found: [TypeID] = []
        var seen: Set<String> = []
        btf.forEachType(ofKind: .function) { id, name in
            // Once every name is taken, the remaining FUNCs are passed over without a String made.
            guard seen.count < hidden.count else { return }
            let text = String(name)
            guard hidden.contains(text), !seen.contains(text), (try? btf.type(id))?.linkage == Linkage.global.rawValue
            else { return }
            seen.insert(text)
            found.append(id)
        }
        return found
    }

    /// A DATASEC entry: variable type, offset, size.
    private typealias DataSectionEntry = (type: UInt32, offset: UInt32, size: UInt32)

    /// Writes a DATASEC's entries after its header at `record`, in offset order.
    private func storeSorted(
        _ entries: inout [DataSectionEntry], of record: Int, in bytes: UnsafeMutableRawBufferPointer, order: ByteOrder
    ) {
        entries.sort { $0.offset < $1.offset }
        for (i, entry) in entries.enumerated() {
            let at = record + 12 + 12 * i
            store(entry.type, at: at, in: bytes, order: order)
            store(entry.offset, at: at + 4, in: bytes, order: order)
            store(entry.size, at: at + 8, in: bytes, order: order)
        }
    }

    /// Stores `value` at `offset` in `order`, when its four bytes lie inside `bytes`.
    private func store(_ value: UInt32, at offset: Int, in bytes: UnsafeMutableRawBufferPointer, order: ByteOrder) {
        guard offset >= 0, offset <= bytes.count - 4 else { return }
        bytes.storeBytes(
            of: order == .little ? value.littleEndian : value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// The object's BTF as the kernel must receive it, in wire form ready to be sanitized and
    /// encoded: DATASECs fixed (``btfBytesForKernel(supporting:)``), and externs made into what the
    /// kernel takes, as libbpf does.
    public func btfForKernel() throws(ObjectError) -> BTFBuilder? {
        guard let btf else { return nil }
        let fixed = try dataSectionsFixed(btf)
        defer { fixed.deallocate() }
        var builder: BTFBuilder
        do { builder = try BTFBuilder(decoding: try BTF(unsafeBytes: UnsafeRawBufferPointer(fixed))) } catch {
            throw .btf(error)
        }
        // Extern FUNCs (kfunc declarations) become global, and their unnamed
        // parameters get a name (the kernel checks global functions' arguments), as libbpf does.
        for index in builder.types.indices
        where builder.types[index].kind == .function && builder.types[index].vlen == UInt16(Linkage.external.rawValue) {
            builder.types[index].vlen = UInt16(Linkage.global.rawValue)
            let proto = Int(builder.types[index].sizeOrType) - 1
            guard proto >= 0, proto < builder.types.count, builder.types[proto].kind == .functionProto else { continue }
            for word in stride(from: 0, to: builder.types[proto].trailing.count, by: 2)
            where builder.types[proto].trailing[word] == .name("") {
                builder.types[proto].trailing[word] = .name("dummy_ksym")
            }
        }
        for id in hiddenSubprogramFunctions(btf) where Int(id) - 1 < builder.types.count {
            builder.types[Int(id) - 1].vlen = UInt16(Linkage.static.rawValue)
        }
        // The kernel takes no extern VARs: they become allocated globals, placed where the loader put them.
        for index in builder.types.indices
        where builder.types[index].kind == .variable
            && builder.types[index].trailing == [.value(Linkage.external.rawValue)]
        {
            builder.types[index].trailing = [.value(Linkage.global.rawValue)]
        }
        let kconfigMap = kconfigMapIndex
        for index in builder.types.indices
        where builder.types[index].kind == .dataSection && builder.types[index].name == ".kconfig" {
            guard let map = kconfigMap else { continue }
            builder.types[index].sizeOrType = maps[map].valueSize
            var entries = builder.types[index].trailing
            var entry = 0
            while entry + 2 < entries.count {
                if case let .value(variable) = entries[entry], variable >= 1, Int(variable) <= builder.types.count,
                    let extern = externIndex.kconfig[builder.types[Int(variable) - 1].name].map({
                        kconfigExterns[Int($0)]
                    })
                {
                    entries[entry + 1] = .value(extern.offset)
                }
                entry += 3
            }
            builder.types[index].trailing = entries
        }
        // .ksyms lists externs the kernel cannot take as they are: as libbpf does, every entry
        // becomes a 4-byte allocated int variable (functions share one dummy variable).
        if let ksyms = builder.types.firstIndex(where: { $0.kind == .dataSection && $0.name == ".ksyms" }) {
            let int: TypeID
            if let existing = builder.types.firstIndex(where: {
                $0.kind == .int && $0.name == "int" && $0.sizeOrType == 4
            }) {
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
                            dummy = builder.add(
                                TypeRecord(
                                    kind: .variable, name: "dummy_ksym", sizeOrType: int,
                                    trailing: [.value(Linkage.global.rawValue)]))
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
        // The kernel wants each DATASEC's variables in ascending offset order (.kconfig's were just placed).
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
