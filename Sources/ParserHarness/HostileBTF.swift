import BTF
import ELF64

/// Generators of hostile BTF blobs, each the worst case of a walk that was super-linear:
/// tests time them at sizes N and 8N, benchmarks report them, fuzzers start from them.
public enum HostileBTF {
    /// A raw BTF blob, written word by word (names may be any bytes, unlike ``BTFBuilder``'s Strings).
    struct Blob {
        var types: [UInt32] = []
        var strings: [UInt8] = [0]
        private(set) var count: UInt32 = 0

        mutating func name(_ bytes: [UInt8]) -> UInt32 {
            let at = UInt32(strings.count)
            strings += bytes + [0]
            return at
        }

        /// Appends a type (name offset, kind, vlen, size or type, trailing words); returns its id.
        @discardableResult
        mutating func add(
            _ name: UInt32, _ kind: Kind, vlen: Int = 0, _ sizeOrType: UInt32, _ trailing: [UInt32] = []
        ) -> TypeID {
            types += [name, UInt32(kind.rawValue) << 24 | UInt32(vlen), sizeOrType] + trailing
            count += 1
            return count
        }

        var bytes: [UInt8] {
            var out: [UInt8] = []
            func put(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
            out += [0x9f, 0xeb, 1, 0]
            put(24); put(0); put(UInt32(types.count * 4)); put(UInt32(types.count * 4)); put(UInt32(strings.count))
            for word in types { put(word) }
            return out + strings
        }
    }

    /// `count` typedefs whose names all had one hash under the unkeyed name hash (bytes 16–23 equal
    /// to its third lane's constant zeroed a lane and made bytes 24–31 irrelevant): one probe cluster.
    public static func collidingNames(count: Int) -> [UInt8] {
        var blob = Blob()
        let lane: UInt64 = 0x8ebc_6af0_9c88_c6e3
        let prefix = Array("collide_collide_".utf8) + withUnsafeBytes(of: lane.littleEndian) { Array($0) }
        for i in 0..<count {
            // Eight bytes that differ per name and hold no NUL.
            let suffix = (0..<8).map { UInt8(1 + (i >> (7 * $0)) & 0x7f) }
            blob.add(blob.name(prefix + suffix), .typedef, 0)
        }
        return blob.bytes
    }

    /// A chain of `depth` function prototypes, each taking `width` pointers to the one before: a DAG
    /// with width^depth paths, which CO-RE compatibility walked one by one.
    public static func prototypeDAG(depth: Int, width: Int = 2) -> (blob: [UInt8], top: TypeID) {
        var blob = Blob()
        let top = prototypeDAG(in: &blob, depth: depth, width: width)
        return (blob.bytes, top)
    }

    /// The prototype chain written into `blob`; returns the last prototype.
    static func prototypeDAG(in blob: inout Blob, depth: Int, width: Int) -> TypeID {
        let int = blob.add(blob.name(Array("int".utf8)), .int, 4, [UInt32(IntEncoding.signed.rawValue) << 24 | 32])
        var previous = blob.add(0, .functionProto, int)
        for _ in 0..<depth {
            let pointer = blob.add(0, .pointer, previous)
            previous = blob.add(
                0, .functionProto, vlen: width, int, Array(repeating: [0, pointer], count: width).flatMap { $0 })
        }
        return previous
    }

    /// A chain of `depth` anonymous structs (or unions), each holding `width` of the one before by
    /// value, under a named typedef: the C dump writes anonymous aggregates inline, so its header
    /// would be width^depth long, and the formatted-value dump of unions visits width^depth members.
    public static func anonymousDAG(depth: Int, width: Int = 2, kind: Kind = .struct) -> (blob: [UInt8], top: TypeID) {
        var blob = Blob()
        let int = blob.add(blob.name(Array("int".utf8)), .int, 4, [UInt32(IntEncoding.signed.rawValue) << 24 | 32])
        var previous = int, size: UInt32 = 4
        for level in 0..<depth {
            let names = (0..<width).map { blob.name(Array("m\(level)_\($0)".utf8)) }
            let members = (0..<width).flatMap { [names[$0], previous, kind == .union ? 0 : UInt32($0) &* size &* 8] }
            // Sizes stop growing at 16 MiB (deep chains need not be consistent, only well-formed words).
            if kind != .union { size = min(size &* UInt32(width), 1 << 24) }
            previous = blob.add(0, kind, vlen: width, size, members)
        }
        let top = blob.add(blob.name(Array("dag_t".utf8)), .typedef, previous)
        return (blob.bytes, top)
    }

    /// One struct of `members` members that all bear one `length`-byte name: decoded into a builder
    /// that copied the name per member, it took members × length bytes.
    public static func sharedLongName(members: Int, length: Int) -> [UInt8] {
        var blob = Blob()
        let int = blob.add(blob.name(Array("int".utf8)), .int, 4, [UInt32(IntEncoding.signed.rawValue) << 24 | 32])
        let name = blob.name([UInt8](repeating: UInt8(ascii: "n"), count: length))
        blob.add(
            blob.name(Array("wide".utf8)), .struct, vlen: members, 4, (0..<members).flatMap { _ in [name, int, 0] })
        return blob.bytes
    }

    /// `count` forward declarations all named `x`, and one `struct x`: the C dump looked the name up
    /// per forward, walking every type of that name each time.
    public static func forwardsSharingAName(count: Int) -> [UInt8] {
        var blob = Blob()
        let x = blob.name(Array("x".utf8))
        for _ in 0..<count { blob.add(x, .forward, 0) }
        let int = blob.add(blob.name(Array("int".utf8)), .int, 4, [UInt32(IntEncoding.signed.rawValue) << 24 | 32])
        blob.add(x, .struct, vlen: 1, 4, [blob.name(Array("m".utf8)), int, 0])
        return blob.bytes
    }

    /// One struct of `members` members named by successive suffixes of one `length`-byte string:
    /// interning by offset cannot share them, each name is a new copy (members × length).
    public static func suffixNames(members: Int, length: Int) -> [UInt8] {
        var blob = Blob()
        let int = blob.add(blob.name(Array("int".utf8)), .int, 4, [UInt32(IntEncoding.signed.rawValue) << 24 | 32])
        let long = blob.name([UInt8](repeating: UInt8(ascii: "s"), count: length))
        blob.add(
            blob.name(Array("suffixes".utf8)), .struct, vlen: members, 4,
            (0..<members).flatMap { [long + UInt32($0 % max(length, 1)), int, 0] })
        return blob.bytes
    }
}

extension HostileBTF {
    /// A chain of `depth` pointers to pointers … to an int: reference deduplication walks it whole.
    public static func pointerChain(depth: Int) -> [UInt8] {
        var blob = Blob()
        var id = blob.add(blob.name(Array("int".utf8)), .int, 4, [32])
        for _ in 0..<depth { id = blob.add(0, .pointer, id) }
        return blob.bytes
    }

    /// A chain of `depth` structs, each holding the next (defined after it) by value, twice over:
    /// the second copy's outermost struct is compared with the first's in one walk of depth `depth`.
    public static func nestedStructsTwice(depth: Int) -> [UInt8] {
        var blob = Blob()
        let int = blob.add(blob.name(Array("int".utf8)), .int, 4, [32])
        let member = blob.name(Array("m".utf8))
        let names = (0..<depth).map { blob.name(Array("s\($0)".utf8)) }
        for _ in 0..<2 {
            for level in 0..<depth {
                let inner = level == depth - 1 ? int : blob.count + 2
                blob.add(names[level], .struct, vlen: 1, 4, [member, inner, 0])
            }
        }
        return blob.bytes
    }

    /// Two structs pointing at each other (a cycle through pointers), `copies` times over, with a
    /// forward declaration of each: every copy and forward folds into the first copy.
    public static func pointerCycles(copies: Int) -> [UInt8] {
        var blob = Blob()
        let a = blob.name(Array("a".utf8)), b = blob.name(Array("b".utf8)), next = blob.name(Array("next".utf8))
        for _ in 0..<copies {
            // struct a: [first], pointer to b: [first + 1], struct b: [first + 2], pointer to a: [first + 3]
            let first = blob.count + 1
            blob.add(a, .struct, vlen: 1, 8, [next, first + 1, 0])
            blob.add(0, .pointer, first + 2)
            blob.add(b, .struct, vlen: 1, 8, [next, first + 3, 0])
            blob.add(0, .pointer, first)
            blob.add(a, .forward, 0)
        }
        return blob.bytes
    }

    /// A forward declaration of `s` with two different complete structs named `s`: it stays a forward.
    public static func forwardWithTwoCandidates() -> [UInt8] {
        var blob = Blob()
        let s = blob.name(Array("s".utf8)), x = blob.name(Array("x".utf8))
        let int = blob.add(blob.name(Array("int".utf8)), .int, 4, [32])
        let long = blob.add(blob.name(Array("long".utf8)), .int, 8, [64])
        blob.add(s, .forward, 0)
        blob.add(s, .struct, vlen: 1, 4, [x, int, 0])
        blob.add(s, .struct, vlen: 1, 8, [x, long, 0])
        return blob.bytes
    }

    /// A pointer to type 0xffff_ffff: deduplicated with another input, shifting it would overflow.
    public static func referencePastEnd() -> [UInt8] {
        var blob = Blob()
        blob.add(0, .pointer, .max)
        return blob.bytes
    }

    /// A pointer and a typedef referring to each other: a reference loop no struct breaks.
    public static func referenceLoop() -> [UInt8] {
        var blob = Blob()
        blob.add(0, .pointer, 2)
        blob.add(blob.name(Array("t".utf8)), .typedef, 1)
        return blob.bytes
    }
}
