import BTF

/// BTF types as Swift types of the same size: integers, floats and pointers as Swift integers,
/// enums as raw-value structs, arrays as `InlineArray`, structs and unions as `CLayout` values
/// whose members are read at their BTF offsets. Every type is declared once (nested in the
/// skeleton), each walk is bounded by ``BTF/maximumDepth``, and a type larger than
/// ``maximumValueSize`` (or one hostile BTF makes cyclic) is left as bytes.
struct SwiftTypes {
    /// A Swift type expression and its C size (every generated type's stride is its size).
    struct Mapped {
        let name: String
        let size: Int
        /// An integer a bitfield can be read into (nil for floats, structs, arrays…).
        var integer: (bits: Int, signed: Bool)?
        /// An INT whose BTF encoding narrows it (old-style bitfields: `BTF_INT_OFFSET`, `BTF_INT_BITS`):
        /// only readable as a bitfield, at that offset and width.
        var narrowed: (offset: Int, bits: Int)? = nil
        /// An array of 1-byte integers: C text (`char name[16]`).
        var isText = false
    }

    /// Values larger than this are read and written as `[UInt8]`, not held inline (a huge array
    /// held as a value would be copied to the stack).
    static let maximumValueSize = 4096

    let btf: BTF?
    private(set) var declarations: [String] = []
    /// The named C structs and unions declared (C name, Swift name, size), and their members the
    /// accessors read (index into `layouts`, C name, BTF bit offset): what `open()` checks against
    /// the object it opens.
    private(set) var layouts: [(cName: String, swiftName: String, size: Int)] = []
    private(set) var memberLayouts: [(type: Int, name: String, bitOffset: Int)] = []
    private var known: [TypeID: Mapped] = [:]
    private var inProgress: Set<TypeID> = []
    /// The skeleton's one scope of type names: BTF types, section views and the nested types.
    private var typeNames: SwiftNames

    init(btf: BTF?, reserved: Set<String>) {
        self.btf = btf
        typeNames = SwiftNames(reserved: reserved)
    }

    /// A type name in the skeleton's scope for `name` (a section view's, say).
    mutating func claimType(_ name: String) -> String { typeNames.type(name) }

    static func bytes(_ size: Int) -> Mapped { Mapped(name: "Swift.InlineArray<\(size), Swift.UInt8>", size: size) }

    /// The Swift type of BTF type `id` (nil: nothing Swift can hold, or larger than the limit).
    mutating func map(_ id: TypeID, context: String, depth: Int = 0) throws(SkeletonGenerationError) -> Mapped? {
        guard let btf, depth < BTF.maximumDepth else { return nil }
        let size: Int, resolved: TypeID, t: BTFType
        do {
            resolved = try btf.resolve(id)
            size = try btf.size(of: resolved)
            t = try btf.type(resolved)
        } catch { return nil }
        guard size > 0, size <= Self.maximumValueSize else { return nil }
        if let mapped = known[resolved] { return mapped }
        guard inProgress.insert(resolved).inserted else { return nil }  // a type that contains itself
        defer { inProgress.remove(resolved) }
        var mapped: Mapped
        switch t.kind {
        case .int:
            // A C bool is a byte: any value a program stores is one Swift can hold (a Swift Bool of 2 is undefined).
            let signed = t.intInfo.encoding.contains(.signed) && !t.intInfo.encoding.contains(.bool)
            if [1, 2, 4, 8].contains(size) {
                mapped = Mapped(
                    name: "Swift.\(signed ? "" : "U")Int\(size * 8)", size: size, integer: (size * 8, signed))
            } else {
                mapped = Self.bytes(size)
            }
            let info = t.intInfo
            if mapped.integer != nil, info.bitOffset != 0 || info.bits != size * 8 {
                // An encoding the kernel refuses (bits past the type, or none) is left as bytes.
                guard info.bits > 0, info.bitOffset + info.bits <= size * 8 else { return Self.bytes(size) }
                mapped.narrowed = (info.bitOffset, info.bits)
            }
        case .float where size == 4: mapped = Mapped(name: "Swift.Float", size: 4)
        case .float where size == 8: mapped = Mapped(name: "Swift.Double", size: 8)
        case .pointer: mapped = Mapped(name: "Swift.UInt\(size * 8)", size: size, integer: (size * 8, false))
        case .enum, .enum64: mapped = enumeration(t, size: size, context: context)
        case .array:
            let info = t.arrayInfo
            guard let element = try map(info.element, context: context, depth: depth + 1), element.size > 0,
                element.narrowed == nil, Int(info.count) * element.size == size
            else { return Self.bytes(size) }
            mapped = Mapped(name: "Swift.InlineArray<\(info.count), \(element.name)>", size: size)
            mapped.isText = element.size == 1 && element.integer != nil
        case .struct, .union: mapped = try composite(t, size: size, context: context, depth: depth)
        default: mapped = Self.bytes(size)
        }
        known[resolved] = mapped
        return mapped
    }

    private mutating func enumeration(_ t: BTFType, size: Int, context: String) -> Mapped {
        guard [1, 2, 4, 8].contains(size) else { return Self.bytes(size) }
        let name = typeNames.type(t.name.isEmpty ? context + "Enum" : String(t.name))
        let raw = "Swift.\(t.isSigned ? "" : "U")Int\(size * 8)"
        var lines = [
            "public struct \(name): Swift.RawRepresentable, Swift.Hashable, Swift.BitwiseCopyable, Swift.Sendable {",
            "    public var rawValue: \(raw)",
            "    public init(rawValue: \(raw)) { self.rawValue = rawValue }",
        ]
        var members = SwiftNames(reserved: ["rawValue", "init", "hashValue"])
        let names = SwiftNames.enumerators(t.enumerators.map { String($0.name) })
        for (e, enumeratorName) in zip(t.enumerators, names) {
            let value = t.isSigned ? "\(e.signedValue)" : "\(e.value)"
            lines.append(
                "    public static let \(members.member(enumeratorName)) = \(name)(rawValue: \(raw)(truncatingIfNeeded: \(value) as Swift.\(t.isSigned ? "Int64" : "UInt64")))"
            )
        }
        lines.append("}")
        declarations.append(lines.joined(separator: "\n"))
        return Mapped(name: name, size: size, integer: (size * 8, t.isSigned))
    }

    private mutating func composite(
        _ t: BTFType, size: Int, context: String, depth: Int
    ) throws(SkeletonGenerationError) -> Mapped {
        let name = typeNames.type(t.name.isEmpty ? context + (t.kind == .union ? "Union" : "Struct") : String(t.name))
        // The C alignment, held by the storage's words (a packed or odd-sized type keeps bytes).
        let alignment = (try? btf?.alignment(of: t.id)) ?? 1
        let word = [8, 4, 2].first { $0 <= alignment && size % $0 == 0 } ?? 1
        var lines = [
            "/// C `\(t.kind == .union ? "union" : "struct") \(t.name.isEmpty ? "(anonymous)" : SwiftNames.comment(String(t.name)))`: \(size) bytes, stored in \(word)-byte words (its BTF alignment, when the size allows).",
            "public struct \(name): BPF.CLayout, Swift.Sendable {",
            "    public var raw: Swift.InlineArray<\(size / word), Swift.UInt\(word * 8)>",
            "    public init() { raw = .init(repeating: 0) }",
        ]
        var members = SwiftNames(reserved: ["raw", "init", "load", "store", "bits", "setBits"])
        // Checked at open() by name: only a type its name finds (the first of that name and kind).
        let checked = !t.name.isEmpty && btf?.firstTypeID(named: String(t.name), kind: t.kind) == t.id
        if checked { layouts.append(((t.kind == .union ? "union " : "struct ") + String(t.name), name, size)) }
        let layoutIndex = layouts.count - 1  // members' types, mapped meanwhile, append their own
        func record(_ m: Member) {
            if checked, !m.name.isEmpty { memberLayouts.append((layoutIndex, String(m.name), Int(m.bitOffset))) }
        }
        for (index, m) in t.members.enumerated() {
            let memberName = members.member(m.name.isEmpty ? "anonymous\(index)" : String(m.name))
            guard
                let type = try map(
                    m.type, context: name + SwiftNames.camel(String(m.name), upper: true), depth: depth + 1)
            else {
                lines.append("    // \(memberName): no Swift type")
                continue
            }
            var bitOffset = Int(m.bitOffset), bits = Int(m.bitfieldSize)
            if bits == 0, let narrowed = type.narrowed {
                (bitOffset, bits) = (bitOffset + narrowed.offset, narrowed.bits)
            }
            if bits > 0 || bitOffset % 8 != 0 {
                guard let integer = type.integer, bits <= integer.bits else {
                    lines.append("    // \(memberName): a bitfield of a type Swift cannot hold as an integer")
                    continue
                }
                let width = bits > 0 ? bits : integer.bits
                guard bitOffset + width <= size * 8 else {
                    lines.append("    // \(memberName): lies past the end of the type")
                    continue
                }
                let rawType = "Swift.\(integer.signed ? "" : "U")Int\(integer.bits)"
                let read =
                    "\(rawType)(truncatingIfNeeded: bits(at: \(bitOffset), count: \(width), signed: \(integer.signed)))"
                let value = type.name == rawType ? read : "\(type.name)(rawValue: \(read))"
                let store = type.name == rawType ? "newValue" : "newValue.rawValue"
                record(m)
                lines.append("    /// Bits \(bitOffset)..<\(bitOffset + width).")
                lines.append("    public var \(memberName): \(type.name) {")
                lines.append("        get { \(value) }")
                lines.append(
                    "        set { setBits(Swift.UInt64(truncatingIfNeeded: \(store)), at: \(bitOffset), count: \(width)) }"
                )
                lines.append("    }")
            } else {
                let offset = bitOffset / 8
                guard type.narrowed == nil else {
                    lines.append("    // \(memberName): an integer narrower than its bytes")
                    continue
                }
                guard offset + type.size <= size else {
                    lines.append("    // \(memberName): lies past the end of the type")
                    continue
                }
                record(m)
                lines.append("    /// Offset \(offset), \(type.size) bytes.")
                lines.append("    public var \(memberName): \(type.name) {")
                lines.append("        get { load(\(type.name).self, at: \(offset)) }")
                lines.append("        set { store(newValue, at: \(offset)) }")
                lines.append("    }")
            }
        }
        lines.append("}")
        declarations.append(lines.joined(separator: "\n"))
        return Mapped(name: name, size: size)
    }
}
