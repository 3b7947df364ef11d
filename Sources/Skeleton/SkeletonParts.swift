import BPFObject

extension SkeletonGenerator {
    func container(
        _ type: String, _ what: String, _ element: String, _ entries: [(String, String, Bool, String)],
        _ extra: [String]
    ) -> [String] {
        let a = access.rawValue
        var lines = ["    /// \(what.prefix(1).uppercased() + what.dropFirst()).", "    \(a) struct \(type) {"]
        for (c, swift, optional, _) in entries {
            let note = optional ? " (nil when the load leaves it out)" : ""
            lines.append(
                "        /// `\(SwiftNames.comment(c))`\(note).\n        \(a) let \(swift): \(element)\(optional ? "?" : "")"
            )
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
    func metadata(_ sections: [Section]) -> [String] {
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
                accessors.append("        /// `\(SwiftNames.comment(v.name))`.")
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
    func kconfig(_ members: Members) -> [String] {
        guard members.kconfigMap != nil else { return [] }
        let a = access.rawValue
        var lines = [
            "    /// The `.kconfig` map's values, by extern.",
            "    \(a) struct Kconfig {",
            "        \(a) let bytes: [Swift.UInt8]",
            "",
        ]
        for (c, swift, offset, size, type) in members.kconfig {
            lines.append("        /// `\(SwiftNames.comment(c))`.")
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
    func attachment(_ members: Members) -> [String] {
        let a = access.rawValue
        var lines = [
            "    /// The links `attach()` made, one per program whose section says where it attaches.",
            "    \(a) struct Links: ~Swift.Copyable {",
        ]
        for (c, swift, _) in members.attachable {
            lines.append("        /// `\(SwiftNames.comment(c))`.\n        \(a) var \(swift): BPF.Link? = nil")
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
                "    /// Registers the struct_ops map `\(SwiftNames.comment(c))` with the kernel; dropping the link unregisters it.",
                "    \(a) func \(method)() throws(BPF.AttachError) -> BPF.Link {",
                "        try BPF.Attach.structOps(map: \(Self.literal(c)), in: object)",
                "    }",
                "",
            ]
        }
        return lines
    }

    func sectionView(_ s: Section) -> [String] {
        let a = access.rawValue
        func accessors(setters: Bool, indent: String) -> [String] {
            var lines: [String] = []
            for v in s.variables {
                lines.append("\(indent)/// `\(SwiftNames.comment(v.name))`: offset \(v.offset), \(v.size) bytes.")
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
            "    /// `\(SwiftNames.comment(s.elfName))`: \(s.size) bytes\(s.readOnly ? " (frozen once loaded: `Frozen` is its view then)" : "").",
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
}
