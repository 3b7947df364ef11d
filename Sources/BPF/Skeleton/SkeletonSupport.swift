import BPFObject
import BTF

/// What generated skeletons call: decoding their embedded object and checking it is the one they
/// were generated from.
public enum SkeletonSupport {
    /// The bytes of standard base64 `text` (the generator's embedding), or nil.
    public static func decodeBase64(_ text: StaticString) -> [UInt8]? {
        var values = [UInt8](repeating: 0xff, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            values[Int(c)] = UInt8(i)
        }
        let input = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        guard input.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3)
        var i = 0
        while i < input.count {
            let pad = i + 4 == input.count ? input[i + 2...i + 3].filter { $0 == UInt8(ascii: "=") }.count : 0
            var word: UInt32 = 0
            for j in 0..<4 {
                let c = input[i + j]
                let v = j >= 4 - pad && c == UInt8(ascii: "=") ? 0 : values[Int(c)]
                guard v != 0xff else { return nil }
                word = word << 6 | UInt32(v)
            }
            out.append(UInt8(word >> 16))
            if pad < 2 { out.append(UInt8(word >> 8 & 0xff)) }
            if pad < 1 { out.append(UInt8(word & 0xff)) }
            i += 4
        }
        return out
    }

    /// The live mappings of the data sections the object's maps `indices` hold, in that order.
    public static func sections(
        maps indices: [Int], in globals: borrowing GlobalData
    ) throws(SkeletonError) -> [GlobalSection] {
        var sections: [GlobalSection] = []
        sections.reserveCapacity(indices.count)
        for index in indices { sections.append(try section(map: index, in: globals)) }
        return sections
    }

    /// The live mapping of the data section the object's map `index` holds.
    public static func section(map index: Int, in globals: borrowing GlobalData) throws(SkeletonError) -> GlobalSection
    {
        guard let section = globals.section(map: index) else {
            throw .layoutMismatch("map \(index) is not a mapped data section")
        }
        return section
    }

    /// The object's map at `index` (in the object's order), if the load created it.
    public static func map(at index: Int, in object: borrowing LoadedObject) -> Map? {
        object.maps.indices.contains(index) ? object.maps[index] : nil
    }

    /// The value (key 0) of the object's map at `index`: a `.kconfig` map's, say.
    public static func value(ofMap index: Int, in object: borrowing LoadedObject) throws(SkeletonError) -> [UInt8] {
        let map = try required(map(at: index, in: object), "map \(index)")
        let value: [UInt8]?
        do { value = try map.lookup([0, 0, 0, 0]) } catch {
            throw .layoutMismatch("map \(index)'s value cannot be read: \(error)")
        }
        return try required(value, "map \(index)'s value")
    }

    /// The `T` at `offset` of `bytes` (all zero bits when `bytes` is too short: a map read back short).
    public static func load<T: BitwiseCopyable>(_: T.Type, from bytes: [UInt8], at offset: Int) -> T {
        let size = MemoryLayout<T>.size
        guard offset >= 0, offset <= bytes.count - size else {
            return [UInt8](repeating: 0, count: size).withUnsafeBytes { $0.loadUnaligned(as: T.self) }
        }
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }

    /// The `count` bytes at `offset` of `bytes` (zero-filled where `bytes` is short).
    public static func bytes(_ bytes: [UInt8], at offset: Int, count: Int) -> [UInt8] {
        (0..<max(count, 0)).map { offset + $0 >= 0 && offset + $0 < bytes.count ? bytes[offset + $0] : 0 }
    }

    /// The text in the `count` bytes at `offset` of `bytes`, up to its first NUL.
    public static func text(_ bytes: [UInt8], at offset: Int, count: Int) -> String {
        guard offset >= 0, count >= 0, offset <= bytes.count - count else { return "" }
        return String(decoding: bytes[offset..<offset + count].prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The text in the `count` bytes at `offset` of `section`, up to its first NUL.
    public static func text(_ section: GlobalSection, at offset: Int, count: Int) -> String {
        text(section.bytes(at: offset, count: count), at: 0, count: count)
    }

    /// `value`, which the load made (`what` names it otherwise).
    public static func required<T>(_ value: T?, _ what: String) throws(SkeletonError) -> T {
        guard let value else { throw .layoutMismatch("'\(what)' was not loaded or created") }
        return value
    }

    /// Checks that `spec` is the object the skeleton was generated for: its global variables
    /// (`sections`, `variables`, `offsets` and `sizes` side by side), its programs, its maps in
    /// order (the skeleton finds maps by index), each data section at its map index with its
    /// size, its `__kconfig` externs where the skeleton reads them, and its C types' layouts.
    public static func check(
        _ spec: ObjectSpec, sections: [String], variables: [String], offsets: [Int], sizes: [Int],
        programs: [String], maps: [String], dataSections: [Int], dataSectionNames: [String], dataSectionSizes: [Int],
        kconfigNames: [String], kconfigOffsets: [Int], kconfigSizes: [Int], layout: SkeletonLayout
    ) throws(SkeletonError) {
        struct Key: Hashable {
            let section: String, name: String, offset: Int, size: Int
        }
        let actual: Set<Key>
        do {
            actual = Set(
                try spec.globalVariables().map {
                    Key(section: $0.section, name: $0.name, offset: $0.offset, size: $0.size)
                })
        } catch {
            throw .object(error)
        }
        guard sections.count == variables.count, offsets.count == variables.count, sizes.count == variables.count else {
            throw .layoutMismatch("the skeleton's variable table is malformed")
        }
        for i in variables.indices
        where !actual.contains(Key(section: sections[i], name: variables[i], offset: offsets[i], size: sizes[i])) {
            throw .layoutMismatch(
                "no \(sizes[i])-byte variable '\(variables[i])' at offset \(offsets[i]) of \(sections[i])")
        }
        let programNames = Set(spec.programs.map(\.name))
        for name in programs where !programNames.contains(name) { throw .layoutMismatch("no program '\(name)'") }
        guard spec.maps.map(\.name) == maps else { throw .layoutMismatch("the maps differ, or are in another order") }
        guard dataSectionNames.count == dataSections.count, dataSectionSizes.count == dataSections.count else {
            throw .layoutMismatch("the skeleton's section table is malformed")
        }
        for (i, index) in dataSections.enumerated() {
            guard spec.maps.indices.contains(index), case .data(let section, _) = spec.maps[index].origin,
                section == dataSectionNames[i], Int(spec.maps[index].valueSize) == dataSectionSizes[i]
            else {
                throw .layoutMismatch(
                    "map \(index) is not the \(dataSectionSizes[i])-byte section \(dataSectionNames[i])")
            }
        }
        guard kconfigOffsets.count == kconfigNames.count, kconfigSizes.count == kconfigNames.count,
            spec.kconfigExterns.map(\.name) == kconfigNames,
            spec.kconfigExterns.map({ Int($0.offset) }) == kconfigOffsets,
            spec.kconfigExterns.map({ Int($0.size) }) == kconfigSizes
        else { throw .layoutMismatch("the __kconfig externs differ") }
        try layout.check(against: spec.btf)
    }
}
