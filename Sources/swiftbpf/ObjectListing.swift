import BPFObject
import ELF64

/// The BPF view of an object for `inspect`: programs, maps, relocations, BTF summary.
struct ObjectListing {
    let spec: ObjectSpec

    var text: String {
        var out =
            "\nBPF object '\(spec.name)': license \"\(spec.license)\", kernel version 0x\(String(spec.kernelVersion, radix: 16)), \(spec.byteOrder)\n"
        out += "\nPrograms:\n"
        out +=
            "  Name                 Section                                   Type               Attach type                     Insns\n"
        for p in spec.programs {
            let kind = p.isSubprogram ? "(subprogram)" : p.kind.map { $0.programType.description } ?? "(unknown)"
            let attach = p.kind?.expectedAttachType?.description ?? "-"
            out +=
                "  " + p.name.padding(20) + " " + p.sectionName.padding(41) + " " + kind.padding(18) + " "
                + attach.padding(31) + " " + String(p.instructions.count).leftPadding(5) + "\n"
        }
        out += "\nMaps:\n"
        out += "  Name                 Type                 Key  Value   Max entries  Flags       Origin\n"
        for m in spec.maps {
            out +=
                "  " + m.name.padding(20) + " " + m.type.description.padding(20) + " "
                + String(m.keySize).leftPadding(4)
                + " " + String(m.valueSize).leftPadding(6) + " " + String(m.maxEntries).leftPadding(12) + "  0x"
                + hex(m.flags, digits: 8) + "  " + m.origin.description + "\n"
        }
        let structOps = spec.maps.filter { $0.structOps != nil }
        if !structOps.isEmpty {
            out += "\nStruct ops:\n"
            for m in structOps {
                guard let ops = m.structOps else { continue }
                out +=
                    "  \(m.name): struct \(ops.typeName)\(m.flags & MapFlag.link != 0 ? ", through a link" : "")\(m.autoCreate ? "" : ", not created by default")\n"
                for f in ops.functions { out += "    .\(f.member) = \(f.program)\n" }
            }
        }
        out += "\nRelocations:\n"
        for p in spec.programs where !p.references.isEmpty {
            out += "  \(p.name):\n"
            for r in p.references { out += "    insn \(String(r.instruction).leftPadding(5)): \(describe(r.target))\n" }
        }
        if let btf = spec.btf {
            out += "\nBTF: \(btf.ownTypeCount) types, \(btf.byteOrder)"
            if let ext = spec.btfExt {
                let count = { (sections: [Int]) in sections.reduce(0, +) }
                out +=
                    "; BTF.ext: \(count(ext.functionInfo.map(\.records.count))) func_info, \(count(ext.lineInfo.map(\.records.count))) line_info, \(count(ext.coreRelocations.map(\.records.count))) CO-RE relocations"
            }
            out += "\n"
        }
        if !spec.unknownSections.isEmpty {
            out += "\nUnknown sections (ignored): " + spec.unknownSections.joined(separator: ", ") + "\n"
        }
        if !spec.untypedProgramSections.isEmpty {
            out += "Program sections naming no type: " + spec.untypedProgramSections.joined(separator: ", ") + "\n"
        }
        return out
    }

    func describe(_ target: Reference.Target) -> String {
        switch target {
        case let .map(m): "map \(spec.maps[m].name)"
        case let .mapValue(m, offset): "data \(spec.maps[m].name)+\(offset)"
        case let .function(section, instruction, callback):
            "\(callback ? "callback" : "call") \(spec.programIndex(startingAt: instruction, inSection: section).map { spec.programs[$0].name } ?? "instruction \(instruction) of section \(section)")"
        case let .external(name): "extern \(name)"
        }
    }

    var json: JSON {
        .object([
            ("name", .string(spec.name)), ("license", .string(spec.license)),
            ("kernelVersion", .uint(UInt64(spec.kernelVersion))),
            (
                "programs",
                .array(
                    spec.programs.map { p in
                        .object([
                            ("name", .string(p.name)), ("section", .string(p.sectionName)),
                            ("subprogram", .bool(p.isSubprogram)),
                            ("type", p.kind.map { .string($0.programType.description) } ?? .null),
                            ("attachType", p.kind?.expectedAttachType.map { .string($0.description) } ?? .null),
                            ("instructions", .uint(UInt64(p.instructions.count))),
                            (
                                "relocations",
                                .array(
                                    p.references.map {
                                        .object([
                                            ("instruction", .uint(UInt64($0.instruction))),
                                            ("target", .string(describe($0.target))),
                                        ])
                                    })
                            ),
                        ])
                    })
            ),
            (
                "maps",
                .array(
                    spec.maps.map { m in
                        .object(
                            [
                                ("name", .string(m.name)), ("type", .string(m.type.description)),
                                ("keySize", .uint(UInt64(m.keySize))),
                                ("valueSize", .uint(UInt64(m.valueSize))), ("maxEntries", .uint(UInt64(m.maxEntries))),
                                ("flags", .uint(UInt64(m.flags))),
                                ("origin", .string(m.origin.description)),
                            ]
                                + (m.structOps.map { ops in
                                    [
                                        (
                                            "structOps",
                                            JSON.object([
                                                ("type", .string(ops.typeName)),
                                                (
                                                    "functions",
                                                    .array(
                                                        ops.functions.map {
                                                            .object([
                                                                ("member", .string($0.member)),
                                                                ("program", .string($0.program)),
                                                            ])
                                                        })
                                                ),
                                            ])
                                        )
                                    ]
                                } ?? []))
                    })
            ),
            ("btfTypes", .uint(UInt64(spec.btf?.ownTypeCount ?? 0))),
        ])
    }
}
