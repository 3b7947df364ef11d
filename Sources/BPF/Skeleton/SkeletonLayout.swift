import BTF

/// The C structs and unions a generated skeleton declares (`struct NAME`, `union NAME`) — each one's size in C and in Swift,
/// and the BTF bit offset of every member it reads — checked against the opened object's BTF, so
/// that an object that is not the generated one is a typed error, not memory read at wrong offsets.
public struct SkeletonLayout: Sendable {
    let types: [String], sizes: [Int], swiftSizes: [Int]
    let memberTypes: [Int], memberNames: [String], memberBitOffsets: [Int]

    public init(
        types: [String], sizes: [Int], swiftSizes: [Int], memberTypes: [Int], memberNames: [String],
        memberBitOffsets: [Int]
    ) {
        (self.types, self.sizes, self.swiftSizes) = (types, sizes, swiftSizes)
        (self.memberTypes, self.memberNames, self.memberBitOffsets) = (memberTypes, memberNames, memberBitOffsets)
    }

    func check(against btf: BTF?) throws(SkeletonError) {
        guard sizes.count == types.count, swiftSizes.count == types.count, memberNames.count == memberTypes.count,
            memberBitOffsets.count == memberTypes.count
        else { throw .layoutMismatch("the skeleton's layout table is malformed") }
        guard !types.isEmpty else { return }
        guard let btf else { throw .layoutMismatch("the object has no BTF to check its types against") }
        var found: [BTFType?] = []
        for (i, name) in types.enumerated() {
            // "struct NAME" or "union NAME", as the generator recorded it.
            let union = name.hasPrefix("union ")
            let id = btf.firstTypeID(named: String(name.drop { $0 != " " }.dropFirst()), kind: union ? .union : .struct)
            let t = id.flatMap { try? btf.type($0) }
            guard let t, Int(t.size) == sizes[i], swiftSizes[i] == sizes[i] else {
                throw .layoutMismatch("type '\(name)' is not \(sizes[i]) bytes in the object (or in Swift)")
            }
            found.append(t)
        }
        // Members by name, one pass over each type's members.
        var offsets: [Int: [String: Int]] = [:]
        for (i, type) in memberTypes.enumerated() {
            guard found.indices.contains(type), let t = found[type] else {
                throw .layoutMismatch("the skeleton's layout table is malformed")
            }
            if offsets[type] == nil {
                var byName: [String: Int] = [:]
                for m in t.members where !m.name.isEmpty {
                    byName[String(m.name)] = byName[String(m.name)] ?? Int(m.bitOffset)
                }
                offsets[type] = byName
            }
            guard offsets[type]?[memberNames[i]] == memberBitOffsets[i] else {
                throw .layoutMismatch(
                    "member '\(memberNames[i])' of '\(types[type])' is not at bit \(memberBitOffsets[i])")
            }
        }
    }
}
