import ELF64

/// A global variable of a data section (`.data`, `.rodata`, `.bss`, `.data.*`…): where it lives
/// in the internal map that holds the section.
public struct GlobalVariable: Sendable, Hashable {
    public let name: String
    /// The ELF section, e.g. `.rodata`.
    public let section: String
    /// The internal map holding the section (`ObjectSpec.maps[mapIndex]`).
    public let mapIndex: Int
    /// Byte offset and size within the map's value.
    public let offset: Int
    public let size: Int
    /// `.rodata*`: frozen once loaded, so only settable before load.
    public let isReadOnly: Bool
}

extension ObjectSpec {
    /// The named variables of the object's global data sections, from its symbol table, in
    /// section then offset order.
    public func globalVariables() throws(ObjectError) -> [GlobalVariable] {
        var mapBySection: [Int: Int] = [:]
        for (index, map) in maps.enumerated() {
            if case .data = map.origin { mapBySection[map.sectionIndex] = index }
        }
        var variables: [GlobalVariable] = []
        for symbol in symbols where symbol.type == .object && !symbol.name.isEmpty {
            guard let sectionIndex = symbol.section.sectionIndex, let mapIndex = mapBySection[sectionIndex],
                case .data(let section, let readOnly) = maps[mapIndex].origin
            else { continue }
            // Symbols pointing outside their section are skipped: the map could not hold them.
            let (end, overflow) = symbol.value.addingReportingOverflow(symbol.size)
            guard !overflow, end <= UInt64(maps[mapIndex].valueSize) else { continue }
            variables.append(
                GlobalVariable(
                    name: String(symbol.name), section: section, mapIndex: mapIndex,
                    offset: Int(symbol.value), size: Int(symbol.size), isReadOnly: readOnly))
        }
        return variables.sorted { ($0.mapIndex, $0.offset) < ($1.mapIndex, $1.offset) }
    }

    /// The global variable named `name`, if the object has one.
    public func globalVariable(named name: String) throws(ObjectError) -> GlobalVariable? {
        try globalVariables().first { $0.name == name }
    }

    /// Sets the value a global variable starts with — for a `const volatile` in `.rodata`, the value
    /// the verifier sees, as a libbpf skeleton's `rodata->x = …` before load. `bytes` must be the
    /// variable's size, in the object's byte order.
    public mutating func setInitialValue(_ bytes: [UInt8], of name: String) throws(ObjectError) {
        guard let variable = try globalVariable(named: name) else {
            throw .invalidGlobal(name: name, reason: .noSuchVariable)
        }
        guard bytes.count == variable.size else {
            throw .invalidGlobal(name: name, reason: .sizeMismatch(given: bytes.count, size: variable.size))
        }
        var contents = maps[variable.mapIndex].contents
        if contents.isEmpty { contents = [UInt8](repeating: 0, count: Int(maps[variable.mapIndex].valueSize)) }
        contents.replaceSubrange(variable.offset..<variable.offset + variable.size, with: bytes)
        maps[variable.mapIndex].contents = contents
    }
}
