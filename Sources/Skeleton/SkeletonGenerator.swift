import BPFObject
import BTF

/// Why a skeleton cannot be generated.
public enum SkeletonGenerationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The object's byte order is not the host's: it could never be loaded here.
    case foreignByteOrder
    case object(ObjectError)
    /// `name` is not a Swift type name the skeleton can take.
    case invalidName(String)
    /// Two programs of one name: the skeleton could not tell them apart.
    case duplicateProgram(String)

    public var description: String {
        switch self {
        case .foreignByteOrder: "the object's byte order differs from this machine's: a skeleton could not load it"
        case let .object(error): "\(error)"
        case let .invalidName(name): "'\(name)' is not a usable Swift type name"
        case let .duplicateProgram(name): "two programs are named '\(SwiftNames.comment(name))'"
        }
    }
}

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
    private struct Members {
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
    private struct Section {
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

extension SkeletonGenerator {
    private func render(
        sections: [Section], members: Members, declarations: [String]
    ) -> String {
        let a = access.rawValue
        var out: [String] = [
            "// Generated by swiftbpf gen skeleton from \(Self.comment(source)). Do not edit.",
            "import BPF",
            "import BPFObject",
            "",
            "/// The BPF object `\(Self.comment(source))`, typed: `\(name).open()` gives its spec, whose global data",
            "/// can be set before `load()`; the loaded skeleton holds its programs, maps and live global data,",
            "/// and closes them all when dropped.",
            "\(a) struct \(name): ~Swift.Copyable {",
        ]
        if let objectPath {
            out += [
                "    /// Opens the object at `path`, checking it is the one this skeleton was generated from.",
                "    \(a) static func open(path: Swift.String = \(Self.literal(objectPath))) throws(BPF.SkeletonError) -> Spec {",
                "        let object: BPFObject.ObjectSpec",
                "        do { object = try BPFObject.ObjectSpec(contentsOfFile: path) } catch { throw .object(error) }",
            ]
        } else {
            out += [
                "    /// The object's bytes, base64.",
                "    static let objectBase64: Swift.StaticString = \"\(Self.base64(spec.elf.bytes))\"",
                "",
                "    /// Opens the embedded object, checking it is the one this skeleton was generated from.",
                "    \(a) static func open() throws(BPF.SkeletonError) -> Spec {",
                "        guard let bytes = BPF.SkeletonSupport.decodeBase64(objectBase64) else { throw .corruptEmbedding }",
                "        let object: BPFObject.ObjectSpec",
                "        do { object = try BPFObject.ObjectSpec(bytes: bytes, name: \(Self.literal(spec.name))) } catch {",
                "            throw .object(error)",
                "        }",
            ]
        }
        out += [
            "        try BPF.SkeletonSupport.check(",
            "            object,",
        ]
        // Homogeneous array literals: a literal of tuples costs the type checker far more per element.
        let variables = sections.flatMap { s in s.variables.map { (s.elfName, $0) } }
        out += [
            "            sections: [\(variables.map { Self.literal($0.0) }.joined(separator: ", "))],",
            "            variables: [\(variables.map { Self.literal($0.1.name) }.joined(separator: ", "))],",
            "            offsets: [\(variables.map { "\($0.1.offset)" }.joined(separator: ", "))],",
            "            sizes: [\(variables.map { "\($0.1.size)" }.joined(separator: ", "))],",
            "            programs: [\(members.programs.map { Self.literal($0.0) }.joined(separator: ", "))],",
            "            maps: [\(members.maps.map { Self.literal($0.0) }.joined(separator: ", "))],",
            "            dataSections: [\(sections.map { "\($0.mapIndex)" }.joined(separator: ", "))],",
            "            dataSectionNames: [\(sections.map { Self.literal($0.elfName) }.joined(separator: ", "))],",
            "            dataSectionSizes: [\(sections.map { "\($0.size)" }.joined(separator: ", "))],",
            "            kconfigNames: [\(members.kconfig.map { Self.literal($0.0) }.joined(separator: ", "))],",
            "            kconfigOffsets: [\(members.kconfig.map { "\($0.2)" }.joined(separator: ", "))],",
            "            kconfigSizes: [\(members.kconfig.map { "\($0.3)" }.joined(separator: ", "))],",
            "            layout: BPF.SkeletonLayout(",
            "                types: [\(members.layouts.map { Self.literal($0.cName) }.joined(separator: ", "))],",
            "                sizes: [\(members.layouts.map { "\($0.size)" }.joined(separator: ", "))],",
            "                swiftSizes: [\(members.layouts.map { "Swift.MemoryLayout<\($0.swiftName)>.size" }.joined(separator: ", "))],",
            "                memberTypes: [\(members.memberLayouts.map { "\($0.type)" }.joined(separator: ", "))],",
            "                memberNames: [\(members.memberLayouts.map { Self.literal($0.name) }.joined(separator: ", "))],",
            "                memberBitOffsets: [\(members.memberLayouts.map { "\($0.bitOffset)" }.joined(separator: ", "))]))",
            "        return Spec(object)",
            "    }",
            "",
            "    /// The object before load: global data set here is what the programs start with",
            "    /// (for `.rodata`, what the verifier sees).",
            "    \(a) struct Spec: ~Swift.Copyable {",
            "        \(a) var object: BPFObject.ObjectSpec",
        ]
        for s in sections { out.append("        \(a) let \(s.property): \(s.typeName)") }
        out += ["", "        init(_ object: BPFObject.ObjectSpec) {", "            self.object = object"]
        for s in sections {
            out.append(
                "            \(s.property) = \(s.typeName)(section: BPF.GlobalSection(name: \(Self.literal(s.elfName)), copying: object.maps[\(s.mapIndex)].contents, size: \(s.size)))"
            )
        }
        out += [
            "        }",
            "",
            "        /// Loads the object with the global data as set, then maps its global data.",
            "        \(a) consuming func load(_ options: BPF.LoadOptions = BPF.LoadOptions()) throws(BPF.SkeletonError) -> \(name) {",
            "            \(sections.isEmpty ? "let" : "var") object = self.object",
        ]
        for s in sections {
            out.append("            object.maps[\(s.mapIndex)].contents = \(s.property).section.bytes")
        }
        out += [
            "            let loaded: BPF.LoadedObject",
            "            do { loaded = try object.load(options) } catch { throw .load(error) }",
            "            return try \(name)(loaded)",
            "        }",
            "    }",
            "",
            "    \(a) let programs: Programs",
            "    \(a) let maps: Maps",
        ]
        for s in sections { out.append("    \(a) let \(s.property): \(s.typeName)\(s.readOnly ? ".Frozen" : "")") }
        if members.kconfigMap != nil {
            out.append("    /// The `__kconfig` externs as the load set them from the running kernel's configuration.")
            out.append("    \(a) let kconfig: Kconfig")
        }
        out +=
            [
                "    \(a) let object: BPF.LoadedObject",
                "    let globals: BPF.GlobalData",
                "",
                "    private init(_ object: consuming BPF.LoadedObject) throws(BPF.SkeletonError) {",
                "        // Everything is found before anything is stored: a noncopyable value is never half made.",
                "        let globals: BPF.GlobalData",
                "        do { globals = try BPF.GlobalData(object) } catch { throw .globals(error) }",
                "        let programs = try Programs(object)",
                "        let maps = try Maps(object)",
            ]
            + (members.kconfigMap.map {
                ["        let kconfig = Kconfig(bytes: try BPF.SkeletonSupport.value(ofMap: \($0), in: object))"]
            } ?? []) + []
        // One call for every section (a local each made the type checker's work grow as their square).
        if !sections.isEmpty {
            out.append(
                "        let sections = try BPF.SkeletonSupport.sections(maps: [\(sections.map { "\($0.mapIndex)" }.joined(separator: ", "))], in: globals)"
            )
        }
        out += ["        (self.programs, self.maps) = (programs, maps)"]
        if members.kconfigMap != nil { out.append("        self.kconfig = kconfig") }
        for (i, s) in sections.enumerated() {
            out.append(
                "        self.\(s.property) = \(s.typeName)\(s.readOnly ? ".Frozen" : "")(section: sections[\(i)])")
        }
        out += ["        self.globals = globals", "        self.object = object", "    }", ""]
        out += attachment(members)
        out += container(
            "Programs", "the object's programs, loaded", "BPF.Program",
            members.programs.map { ($0.0, $0.1, $0.2, "object.program(named: \(Self.literal($0.0)))") }, [])
        let readers = members.readers.flatMap { map, method, reader in
            [
                "",
                "        /// A reader of `\(map)`, which keeps the map alive.",
                "        \(a) func \(method)() throws(BPF.RingBufferError) -> \(reader) { try \(reader)(\(map)) }",
            ]
        }
        out += container(
            "Maps", "the object's maps, created", "BPF.Map",
            // Maps in the object's order, each found by its index (two may share a name).
            members.maps.enumerated().map { ($1.0, $1.1, $1.2, "BPF.SkeletonSupport.map(at: \($0), in: object)") },
            readers)
        out += metadata(sections)
        out += kconfig(members)
        for s in sections { out += sectionView(s) }
        for declaration in declarations {
            out += declaration.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
            out.append("")
        }
        if out.last == "" { out.removeLast() }
        out.append("}")
        return out.joined(separator: "\n") + "\n"
    }

    private func container(
        _ type: String, _ what: String, _ element: String, _ entries: [(String, String, Bool, String)],
        _ extra: [String]
    ) -> [String] {
        let a = access.rawValue
        var lines = ["    /// \(what.prefix(1).uppercased() + what.dropFirst()).", "    \(a) struct \(type) {"]
        for (c, swift, optional, _) in entries {
            let note = optional ? " (nil when the load leaves it out)" : ""
            lines.append(
                "        /// `\(Self.comment(c))`\(note).\n        \(a) let \(swift): \(element)\(optional ? "?" : "")")
        }
        lines.append("")
        lines.append("        init(_ object: borrowing BPF.LoadedObject) throws(BPF.SkeletonError) {")
        for (c, swift, optional, lookup) in entries {
            lines.append(
                optional
                    ? "            self.\(swift) = \(lookup)"
                    : "            self.\(swift) = try BPF.SkeletonSupport.required(\(lookup), \(Self.literal(c)))")
        }
        lines += ["        }"] + extra + ["    }", ""]
        return lines
    }

    /// `metadata`: the object's `bpf_metadata_*` variables (in `.rodata` or `.metadata`), read
    /// only, text as `String`, as `bpftool prog show` lists them.
    private func metadata(_ sections: [Section]) -> [String] {
        let a = access.rawValue, prefix = "bpf_metadata_"
        var names = SwiftNames(reserved: ["init"])
        var stored: [String] = [], accessors: [String] = [], arguments: [String] = []
        for (i, s) in sections.enumerated() where s.readOnly && (s.elfName == ".rodata" || s.elfName == ".metadata") {
            let found = s.variables.filter { $0.name.hasPrefix(prefix) && $0.name.count > prefix.count }
            guard !found.isEmpty else { continue }
            stored.append("        let _section\(i): BPF.GlobalSection")
            arguments.append("_section\(i): \(s.property).section")
            for v in found {
                let property = names.member(String(v.name.dropFirst(prefix.count)))
                accessors.append("        /// `\(Self.comment(v.name))`.")
                if let t = v.type, t.isText {
                    accessors.append(
                        "        \(a) var \(property): Swift.String { BPF.SkeletonSupport.text(_section\(i), at: \(v.offset), count: \(v.size)) }"
                    )
                } else if let t = v.type {
                    accessors.append(
                        "        \(a) var \(property): \(t.name) { _section\(i).load(\(t.name).self, at: \(v.offset)) }"
                    )
                } else {
                    accessors.append(
                        "        \(a) var \(property): [Swift.UInt8] { _section\(i).bytes(at: \(v.offset), count: \(v.size)) }"
                    )
                }
            }
        }
        guard !stored.isEmpty else { return [] }
        return [
            "    /// The object's `bpf_metadata_*` variables (bound to its programs, as `bpftool prog show` lists them).",
            "    \(a) var metadata: Metadata { Metadata(\(arguments.joined(separator: ", "))) }",
            "",
            "    /// The object's metadata, read only.",
            "    \(a) struct Metadata {",
        ] + stored + [""] + accessors + ["    }", ""]
    }

    /// `Kconfig`: the `__kconfig` externs' values, read once after load, text as `String`.
    private func kconfig(_ members: Members) -> [String] {
        guard members.kconfigMap != nil else { return [] }
        let a = access.rawValue
        var lines = [
            "    /// The `.kconfig` map's values, by extern.",
            "    \(a) struct Kconfig {",
            "        \(a) let bytes: [Swift.UInt8]",
            "",
        ]
        for (c, swift, offset, size, type) in members.kconfig {
            lines.append("        /// `\(Self.comment(c))`.")
            if let type, type.isText {
                lines.append(
                    "        \(a) var \(swift): Swift.String { BPF.SkeletonSupport.text(bytes, at: \(offset), count: \(size)) }"
                )
            } else if let type {
                lines.append(
                    "        \(a) var \(swift): \(type.name) { BPF.SkeletonSupport.load(\(type.name).self, from: bytes, at: \(offset)) }"
                )
            } else {
                lines.append(
                    "        \(a) var \(swift): [Swift.UInt8] { BPF.SkeletonSupport.bytes(bytes, at: \(offset), count: \(size)) }"
                )
            }
        }
        return lines + ["    }", ""]
    }

    /// `links`, `attach()` and `detach()` (libbpf's skeleton `__attach`), and a method per struct_ops map.
    private func attachment(_ members: Members) -> [String] {
        let a = access.rawValue
        var lines = [
            "    /// The links `attach()` made, one per program whose section says where it attaches.",
            "    \(a) struct Links: ~Swift.Copyable {",
        ]
        for (c, swift, _) in members.attachable {
            lines.append("        /// `\(Self.comment(c))`.\n        \(a) var \(swift): BPF.Link? = nil")
        }
        lines += [
            "    }",
            "",
            "    /// What `attach()` attached; dropped with the skeleton.",
            "    \(a) private(set) var links = Links()",
            "",
            "    /// Attaches every program whose section says where, as libbpf's skeleton `__attach` does;",
            "    /// each link lives until `detach()` or until the skeleton is dropped.",
            "    \(a) mutating func attach() throws(BPF.AttachError) {",
        ]
        for (c, swift, optional) in members.attachable {
            let program = optional ? "program" : "programs.\(swift)"
            lines += [
                "        if links.\(swift) == nil, \(optional ? "let program = programs.\(swift), " : "")"
                    + "let kind = object.spec.program(named: \(Self.literal(c)))?.kind {",
                "            links.\(swift) = try BPF.Attach.auto(program: \(program).descriptor, kind: kind)",
                "        }",
            ]
        }
        lines += [
            "    }", "", "    /// Detaches what `attach()` attached.",
            "    \(a) mutating func detach() { links = Links() }", "",
        ]
        for (c, method) in members.registrations {
            lines += [
                "    /// Registers the struct_ops map `\(Self.comment(c))` with the kernel; dropping the link unregisters it.",
                "    \(a) func \(method)() throws(BPF.AttachError) -> BPF.Link {",
                "        try BPF.Attach.structOps(map: \(Self.literal(c)), in: object)",
                "    }",
                "",
            ]
        }
        return lines
    }

    private func sectionView(_ s: Section) -> [String] {
        let a = access.rawValue
        func accessors(setters: Bool, indent: String) -> [String] {
            var lines: [String] = []
            for v in s.variables {
                lines.append("\(indent)/// `\(Self.comment(v.name))`: offset \(v.offset), \(v.size) bytes.")
                if let t = v.type {
                    lines.append("\(indent)\(a) var \(v.property): \(t.name) {")
                    lines.append("\(indent)    get { section.load(\(t.name).self, at: \(v.offset)) }")
                    if setters {
                        lines.append("\(indent)    nonmutating set { section.store(newValue, at: \(v.offset)) }")
                    }
                } else {
                    lines.append("\(indent)\(a) var \(v.property): [Swift.UInt8] {")
                    lines.append("\(indent)    get { section.bytes(at: \(v.offset), count: \(v.size)) }")
                    if setters {
                        lines.append(
                            "\(indent)    nonmutating set { section.setBytes(newValue, at: \(v.offset), count: \(v.size)) }"
                        )
                    }
                }
                lines.append("\(indent)}")
            }
            return lines
        }
        var lines = [
            "    /// `\(Self.comment(s.elfName))`: \(s.size) bytes\(s.readOnly ? " (frozen once loaded: `Frozen` is its view then)" : "").",
            "    \(a) struct \(s.typeName) {",
            "        \(a) let section: BPF.GlobalSection",
            "",
        ]
        lines += accessors(setters: true, indent: "        ")
        if s.readOnly {
            lines += [
                "", "        /// The loaded, frozen section: read only.", "        \(a) struct Frozen {",
                "            \(a) let section: BPF.GlobalSection", "",
            ]
            lines += accessors(setters: false, indent: "            ")
            lines.append("        }")
        }
        lines += ["    }", ""]
        return lines
    }

    /// A Swift string literal of `text` (every byte outside printable ASCII escaped).
    static func literal(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case " "..."~": out.unicodeScalars.append(scalar)
            default: out += "\\u{\(String(scalar.value, radix: 16))}"
            }
        }
        return out + "\""
    }

    /// `text` fit for a one-line comment (``SwiftNames/comment(_:)``).
    static func comment(_ text: String) -> String { SwiftNames.comment(text) }

    static func base64(_ bytes: UnsafeRawBufferPointer) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            var word = UInt32(bytes[i]) << 16
            if n > 1 { word |= UInt32(bytes[i + 1]) << 8 }
            if n > 2 { word |= UInt32(bytes[i + 2]) }
            for j in 0..<4 { out.append(j <= n ? table[Int(word >> UInt32(18 - 6 * j) & 63)] : UInt8(ascii: "=")) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
