import BTF
import ELF64

extension Harness {
    /// Reads `bytes` as raw BTF, decodes every type, runs name lookups, layout queries and both dumps.
    /// Returns the typed error when the blob is rejected, `nil` when it reads.
    @discardableResult
    public static func btf(_ bytes: UnsafeRawBufferPointer) -> BTFError? {
        do throws(BTFError) {
            try walk(try BTF(unsafeBytes: bytes))
            return nil
        } catch {
            return error
        }
    }

    /// Splits `bytes` into a BTF blob and a `.BTF.ext` blob (the first little-endian u32 is the BTF's length)
    /// and reads the extension's func_info, line_info and CO-RE records against it.
    @discardableResult
    public static func btfExt(_ bytes: UnsafeRawBufferPointer) -> BTFError? {
        guard bytes.count >= 4 else { return nil }
        let split = Int(bytes.loadUnaligned(as: UInt32.self).littleEndian)
        guard split <= bytes.count - 4 else { return nil }
        let btfBytes = UnsafeRawBufferPointer(rebasing: bytes[4..<4 + split])
        let extBytes = UnsafeRawBufferPointer(rebasing: bytes[(4 + split)...])
        do throws(BTFError) {
            let btf = try BTF(unsafeBytes: btfBytes)
            let ext = try BTFExt(unsafeBytes: extBytes, btf: btf)
            var touched = 0
            for section in ext.functionInfo { for r in section.records { touched &+= Int(r.typeID) } }
            for section in ext.lineInfo {
                for r in section.records { touched &+= (try? btf.string(at: r.fileNameOffset))?.count ?? 0 }
            }
            for section in ext.coreRelocations {
                for r in section.records { touched &+= (try? btf.string(at: r.accessStringOffset))?.count ?? 0 }
            }
            blackHole(touched)
            return nil
        } catch {
            return error
        }
    }

    /// Everything a consumer may ask of a BTF: each type and its entries, names, layout, dumps.
    static func walk(_ btf: BTF) throws(BTFError) {
        var touched = 0
        // Each distinct name looked up once, as a consumer would (a name carried by k types answers
        // with k ids: asking once per type would make the harness itself quadratic).
        var looked: Set<String> = []
        var id = btf.firstID
        while id < btf.endID {
            let t = try btf.type(id)
            touched &+= t.members.reduce(0) { $0 &+ $1.name.count }
            touched &+= t.enumerators.count &+ t.parameters.count &+ t.variables.count
            if !t.name.isEmpty, looked.insert(String(t.name)).inserted {
                touched &+= btf.typeIDs(named: String(t.name), kind: t.kind).count
            }
            _ = try? btf.resolve(id)
            let size = try? btf.size(of: id)
            _ = try? btf.alignment(of: id)
            // A value of the type (bytes counting up), formatted as map dumps and metadata are (for the
            // first types only: each formatting may visit thousands of union members, within its bound).
            if let size, size <= 64, id < btf.firstID + 32 {
                touched &+=
                    (try? btf.formattedValue((0..<size).map { UInt8(truncatingIfNeeded: $0) }, type: id))?.description
                    .utf8.count ?? 0
            }
            id += 1
        }
        var raw = ""
        try btf.dumpRaw(to: &raw)
        var header = ""
        _ = try? btf.dumpC(to: &header)
        blackHole(touched &+ raw.utf8.count &+ header.utf8.count)
    }
}
