import BPFObject
import BTF

/// Writes a Swift skeleton for a BPF object: one `~Copyable` type with the object embedded,
/// typed programs, maps and global variables (`swiftbpf gen skeleton`).
public struct SkeletonGenerator {
    public enum Access: String, Sendable, CaseIterable { case `public`, `package`, `internal` }

    public let spec: ObjectSpec
    /// The skeleton type's name.
    public let name: String
    public let access: Access
    /// The file name the generated comment names.
    public let source: String
    /// Where `open()` reads the object at run time, instead of embedding it (nil: embedded).
    public var objectPath: String?

    public init(
        spec: ObjectSpec, name: String, access: Access = .public, source: String
    ) throws(SkeletonGenerationError) {
        guard spec.byteOrder == .host else { throw .foreignByteOrder }
        guard SwiftNames.camel(name, upper: true) == name, !SwiftNames.reservedTypeNames.contains(name) else {
            throw .invalidName(name)
        }
        (self.spec, self.name, self.access, self.source) = (spec, name, access, source)
    }

    /// A default skeleton name for an object file: `count_getpid.bpf.o` → `CountGetpid`.
    public static func defaultName(forFile path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        return SwiftNames.camel(String(file.prefix { $0 != "." }), upper: true)
    }

    /// The skeleton's programs, maps and what it does with them, each with its C and Swift names.
    struct Members {
        /// (C name, Swift name, whether a load may leave it out: an unused struct_ops program, a
        /// program or map not loaded or created by default; those are optionals).
        var programs: [(String, String, Bool)] = [], maps: [(String, String, Bool)] = []
        /// Programs whose section says where they attach (`attach()` attaches them).
        var attachable: [(String, String, Bool)] = []
        /// Ring and perf buffer maps: (map property, reader method, reader type).
        var readers: [(String, String, String)] = []
        /// struct_ops maps: (map name, registering method).
        var registrations: [(String, String)] = []
        /// `__kconfig` externs (C name, Swift name, offset, size, type) and the `.kconfig` map's index.
        var kconfig: [(String, String, Int, Int, SwiftTypes.Mapped?)] = []
        var kconfigMap: Int?
        /// The C types declared and their members, checked at `open()` (see ``SwiftTypes/layouts``).
        var layouts: [(cName: String, swiftName: String, size: Int)] = []
        var memberLayouts: [(type: Int, name: String, bitOffset: Int)] = []
    }

    /// One data section's variables, typed.
    struct Section {
        let elfName: String, typeName: String, property: String
        let mapIndex: Int, size: Int, readOnly: Bool
        var variables: [(name: String, property: String, offset: Int, size: Int, type: SwiftTypes.Mapped?)]
    }

    /// The generated Swift file.
    public func generate() throws(SkeletonGenerationError) -> String {
        let globals: [GlobalVariable]
        do { globals = try spec.globalVariables() } catch { throw .object(error) }
        var types = SwiftTypes(btf: spec.btf, reserved: SwiftNames.reservedTypeNames.union([name]))
        var propertyNames = SwiftNames(reserved: [
            "programs", "maps", "object", "globals", "open", "load", "init", "links", "attach", "detach", "metadata",
            "kconfig",
        ])
        var sections: [Section] = []
        let variablesByMap = Dictionary(grouping: globals, by: \.mapIndex)
        for (index, map) in spec.maps.enumerated() {
            guard case .data(let elfName, let readOnly) = map.origin, let variables = variablesByMap[index] else {
                continue
            }
            let typeName = types.claimType(elfName)
            var section = Section(
                elfName: elfName, typeName: typeName, property: propertyNames.member(elfName),
                mapIndex: index, size: Int(map.valueSize), readOnly: readOnly, variables: [])
            var members = SwiftNames(reserved: ["section", "init", "Frozen"])
            let btfTypes = variableTypes(of: elfName)
            for v in variables {
                var type: SwiftTypes.Mapped?
                if let id = btfTypes[v.name] {
                    type = try types.map(id, context: SwiftNames.camel(v.name, upper: true))
                }
                // BTF and symbol disagree, or an integer narrower than its bytes: bytes.
                if let t = type, t.size != v.size || t.narrowed != nil { type = nil }
                section.variables.append((v.name, members.member(v.name), v.offset, v.size, type))
            }
            sections.append(section)
        }
        var programNames = SwiftNames(reserved: ["init"]), mapNames = SwiftNames(reserved: ["init"])
        var members = Members()
        var programsSeen: Set<String> = []
        let loaded = Set(spec.programIndicesToLoad)
        for (index, program) in spec.programs.enumerated() where !program.isSubprogram {
            guard programsSeen.insert(program.name).inserted else { throw .duplicateProgram(program.name) }
            let swift = programNames.member(program.name), optional = !loaded.contains(index)
            members.programs.append((program.name, swift, optional))
            switch program.kind?.autoAttach {
            case nil, .needsTarget?, .structOps?: break
            default: members.attachable.append((program.name, swift, optional))
            }
        }
        for map in spec.maps {
            let swift: String
            if case .data(let section, _) = map.origin {
                swift = mapNames.member(section)
            } else {
                swift = mapNames.member(map.name)
            }
            members.maps.append((map.name, swift, !map.autoCreate))
            if map.type == .ringBuffer || map.type == .perfEventArray, map.autoCreate {
                let reader = map.type == .ringBuffer ? "BPF.RingBuffer" : "BPF.PerfBuffer"
                members.readers.append((swift, mapNames.member(map.name + "_reader"), reader))
            }
            if map.structOps != nil {
                members.registrations.append((map.name, propertyNames.member("register_" + map.name)))
            }
        }
        if let index = spec.kconfigMapIndex {
            var names = SwiftNames(reserved: ["init", "bytes"])
            for e in spec.kconfigExterns {
                let type = try types.map(e.typeID, context: SwiftNames.camel(e.name, upper: true))
                members.kconfig.append((e.name, names.member(e.name), Int(e.offset), Int(e.size), type))
            }
            members.kconfigMap = index
        }
        members.layouts = types.layouts
        members.memberLayouts = types.memberLayouts
        return render(sections: sections, members: members, declarations: types.declarations)
    }

    /// Each variable's BTF type in the DATASEC of `section`, by variable name; a name listed twice
    /// has none (the DATASEC's offsets are not the symbols' yet: nothing tells the two apart).
    private func variableTypes(of section: String) -> [String: TypeID] {
        guard let btf = spec.btf, let datasec = btf.firstTypeID(named: section, kind: .dataSection),
            let t = try? btf.type(datasec)
        else { return [:] }
        var types: [String: TypeID] = [:], twice: Set<String> = []
        for v in t.variables {
            guard let variable = try? btf.type(v.type), variable.kind == .variable else { continue }
            let name = String(variable.name)
            if types.updateValue(variable.referencedType, forKey: name) != nil { twice.insert(name) }
        }
        for name in twice { types[name] = nil }
        return types
    }
}
