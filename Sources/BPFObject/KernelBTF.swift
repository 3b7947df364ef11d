import BTF
import ELF64

extension ObjectSpec {
    /// The object's BTF as the kernel must receive it: clang leaves each DATASEC's size and its
    /// variables' offsets at 0; they are filled in from the ELF section sizes and symbol values,
    /// as libbpf does. Returns the types in wire form, ready to be sanitized and encoded.
    public func kernelBTF() throws(ObjectError) -> BTFBuilder? {
        guard let btf else { return nil }
        var builder: BTFBuilder
        do { builder = try BTFBuilder(decoding: btf) } catch { throw .btf(error) }
        let symbols: SymbolTable?
        do { symbols = try elf.symbolTable() } catch { throw .elf(error) }
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
