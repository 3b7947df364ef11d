import BPFObject

/// Why a generated skeleton could not open or load its object.
public enum SkeletonError: Error, Sendable, CustomStringConvertible {
    /// The embedded object (or the file it names) does not read.
    case object(ObjectError)
    /// The embedded text is not the base64 the generator writes.
    case corruptEmbedding
    /// The object differs from the one the skeleton was generated from: what is missing or moved.
    case layoutMismatch(String)
    case load(LoadError)
    case globals(GlobalDataError)

    public var description: String {
        switch self {
        case let .object(error): "\(error)"
        case .corruptEmbedding: "the skeleton's embedded object is not valid base64"
        case let .layoutMismatch(what): "the object differs from the one the skeleton was generated from: \(what)"
        case let .load(error): "\(error)"
        case let .globals(error): "\(error)"
        }
    }
}

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

    /// The live mapping of data section `name`.
    public static func section(_ name: String, in globals: borrowing GlobalData) throws(SkeletonError) -> GlobalSection
    {
        guard let section = globals.section(named: name) else { throw .layoutMismatch("section \(name) is not mapped") }
        return section
    }

    /// The loaded program `name`.
    public static func program(_ name: String, in object: borrowing LoadedObject) throws(SkeletonError) -> Program {
        guard let program = object.program(named: name) else {
            throw .layoutMismatch("program '\(name)' was not loaded")
        }
        return program
    }

    /// The created map `name`.
    public static func map(_ name: String, in object: borrowing LoadedObject) throws(SkeletonError) -> Map {
        guard let map = object.map(named: name) else { throw .layoutMismatch("map '\(name)' was not created") }
        return map
    }

    /// Checks that `spec` has the global variables the skeleton was generated for (section,
    /// offset, size) and the programs and maps it names.
    public static func check(
        _ spec: ObjectSpec, variables: [(section: String, name: String, offset: Int, size: Int)],
        programs: [String], maps: [String]
    ) throws(SkeletonError) {
        let actual: [GlobalVariable]
        do { actual = try spec.globalVariables() } catch { throw .object(error) }
        for v in variables {
            guard
                actual.contains(where: {
                    $0.section == v.section && $0.name == v.name && $0.offset == v.offset && $0.size == v.size
                })
            else {
                throw .layoutMismatch("no \(v.size)-byte variable '\(v.name)' at offset \(v.offset) of \(v.section)")
            }
        }
        for name in programs where spec.program(named: name) == nil { throw .layoutMismatch("no program '\(name)'") }
        for name in maps where spec.map(named: name) == nil { throw .layoutMismatch("no map '\(name)'") }
    }
}
