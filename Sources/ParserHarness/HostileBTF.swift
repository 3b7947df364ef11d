import BTF
import ELF64

/// Generators of hostile BTF blobs, each the worst case of a walk that was super-linear:
/// tests time them at sizes N and 8N, benchmarks report them, fuzzers start from them.
public enum HostileBTF {
    /// A raw BTF blob, written word by word (names may be any bytes, unlike ``BTFBuilder``'s Strings).
    struct Blob {
        var types: [UInt32] = []
        var strings: [UInt8] = [0]
        /// The last id given (the base's last, for split BTF).
        private(set) var count: UInt32 = 0
        /// The base's string section size, for split BTF: own names' offsets start past it.
        let stringBase: UInt32

        init(splitAfter lastBaseID: UInt32 = 0, stringBase: UInt32 = 0) {
            count = lastBaseID
            self.stringBase = stringBase
        }

        mutating func name(_ bytes: [UInt8]) -> UInt32 {
            let at = stringBase + UInt32(strings.count)
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

    /// `count` anonymous INTs whose dedup signatures (libbpf's hash: info·31² + size·31 + the
    /// encoding word, all free 32-bit fields) all made the old, unkeyed probe start (a Fibonacci
    /// multiply of the signature) pick one slot of the candidate table: one probe run, quadratic.
    public static func probeCollidingInts(count: Int) -> [UInt8] {
        let phi: UInt64 = 0x9E37_79B9_7F4A_7C15
        var inverse = phi
        for _ in 0..<6 { inverse = inverse &* (2 &- phi &* inverse) }  // Newton's step: phi⁻¹ mod 2⁶⁴
        let info: UInt64 = UInt64(Kind.int.rawValue) << 24, base = info &* 961, mask: UInt64 = (1 << 49) - 1
        var blob = Blob()
        var t: UInt64 = 0
        while Int(blob.count) < count {
            defer { t += 1 }
            // A signature of t·phi⁻¹ starts probing at (t·phi⁻¹·phi) >> 32 = 0 for every small t.
            let x = (t &* inverse &- base) & mask
            guard x < (1 << 37) - 64 else { continue }
            let size = min(x / 31, 0xffff_ffff), word = x - size * 31
            guard word <= 0xffff_ffff else { continue }
            blob.add(0, .int, UInt32(size), [UInt32(word)])
        }
        return blob.bytes
    }

    /// Two structs `S` alike but for their second member's struct, whose first member points at a
    /// VAR: libbpf fails comparing them (a VAR where a member type must be), and a deduplicator that
    /// never compares them (its hash tells the second members apart) must fail as well.
    public static func memberPointingAtVariable() -> [UInt8] {
        var blob = Blob()
        let int = blob.add(blob.name(Array("int".utf8)), .int, 4, [32])
        let a = blob.name(Array("a".utf8)), b = blob.name(Array("b".utf8)), s = blob.name(Array("S".utf8))
        let v = blob.add(blob.name(Array("v".utf8)), .variable, int, [1])
        let w = blob.add(blob.name(Array("v".utf8)), .variable, int, [1])
        let p = blob.add(blob.name(Array("P".utf8)), .struct, 0)
        let q = blob.add(blob.name(Array("Q".utf8)), .struct, 0)
        let toV = blob.add(0, .pointer, v), toW = blob.add(0, .pointer, w)
        blob.add(s, .struct, vlen: 2, 8, [a, toV, 0, b, p, 64])
        blob.add(s, .struct, vlen: 2, 8, [a, toW, 0, b, q, 64])
        return blob.bytes
    }

    /// Two structs alike but for their `length`-byte names (past ``ByteString/maximumLength``, which
    /// names are read to): an error, not two anonymous structs folded into one.
    public static func longNames(length: Int) -> [UInt8] {
        var blob = Blob()
        blob.add(blob.name([UInt8](repeating: UInt8(ascii: "A"), count: length)), .struct, 0)
        blob.add(blob.name([UInt8](repeating: UInt8(ascii: "B"), count: length)), .struct, 0)
        return blob.bytes
    }

    /// Three structs `S` pointing at `X` (a 4-byte one, an 8-byte one, a forward), `padding` structs
    /// between the second and the third, and a typedef of the third: the third equals both earlier
    /// ones and takes the first libbpf's candidate table gives, whose order its growth (from 4
    /// buckets, doubling, each chain reversed) decides.
    public static func candidatesAcrossGrowth(padding: Int) -> [UInt8] {
        var blob = Blob()
        let int = blob.add(blob.name(Array("int".utf8)), .int, 4, [1 << 24 | 32])
        let long = blob.add(blob.name(Array("long".utf8)), .int, 8, [64])
        let x = blob.name(Array("X".utf8)), a = blob.name(Array("a".utf8))
        let s = blob.name(Array("S".utf8)), p = blob.name(Array("p".utf8))
        let x4 = blob.add(x, .struct, vlen: 1, 4, [a, int, 0])
        let x8 = blob.add(x, .struct, vlen: 1, 8, [a, long, 0])
        let forward = blob.add(x, .forward, 0)
        let toX4 = blob.add(0, .pointer, x4), toX8 = blob.add(0, .pointer, x8)
        let toForward = blob.add(0, .pointer, forward)
        blob.add(s, .struct, vlen: 1, 8, [p, toX4, 0])
        blob.add(s, .struct, vlen: 1, 8, [p, toX8, 0])
        for k in 0..<padding { blob.add(blob.name(Array("F\(k)".utf8)), .struct, 4) }
        let third = blob.add(s, .struct, vlen: 1, 8, [p, toForward, 0])
        blob.add(blob.name(Array("TS".utf8)), .typedef, third)
        return blob.bytes
    }

    /// Three INTs `int` alike but for reserved bits of their info word (none, bit 16, bit 29), and a
    /// typedef of each of the last two: libbpf compares the whole word and keeps all three.
    public static func reservedInfoBits() -> [UInt8] {
        var blob = Blob()
        let name = blob.name(Array("int".utf8))
        blob.add(name, .int, 4, [1 << 24 | 32])
        let second = blob.add(name, .int, 4, [1 << 24 | 32])
        let third = blob.add(name, .int, 4, [1 << 24 | 32])
        blob.types[4 * Int(second - 1) + 1] |= 1 << 16  // each INT takes 4 words
        blob.types[4 * Int(third - 1) + 1] |= 1 << 29
        blob.add(blob.name(Array("t2".utf8)), .typedef, second)
        blob.add(blob.name(Array("t3".utf8)), .typedef, third)
        return blob.bytes
    }

    /// A base (`int`, `struct X { int a; }`, a pointer to it) and split BTF over it repeating the
    /// struct and the pointer, with `struct Y { struct X *p; }` and `typedef struct Y T`: the repeats
    /// become the base's types, and the rest keeps names past the base's strings.
    public static func splitOverBase() -> (base: [UInt8], split: [UInt8]) {
        var base = Blob()
        let int = base.add(base.name(Array("int".utf8)), .int, 4, [1 << 24 | 32])
        let x = base.add(base.name(Array("X".utf8)), .struct, vlen: 1, 4, [base.name(Array("a".utf8)), int, 0])
        base.add(0, .pointer, x)
        var split = Blob(splitAfter: base.count, stringBase: UInt32(base.strings.count))
        let ownX = split.add(split.name(Array("X".utf8)), .struct, vlen: 1, 4, [split.name(Array("a".utf8)), int, 0])
        let pointer = split.add(0, .pointer, ownX)
        let y = split.add(split.name(Array("Y".utf8)), .struct, vlen: 1, 8, [split.name(Array("p".utf8)), pointer, 0])
        split.add(split.name(Array("T".utf8)), .typedef, y)
        return (base.bytes, split.bytes)
    }

    /// A base declaring `struct X` only (a forward, a pointer to it, `struct U { struct X *p; }`) and
    /// split BTF completing it (`struct X {}`, a pointer, the same `U`, then `typedef struct X TX` and
    /// `struct V { struct X x; }` naming the base's forward): comparing the `U`s points the base's
    /// forward at the own struct, and what refers to the forward (a member too) refers to the struct.
    public static func splitCompletingBaseForward() -> (base: [UInt8], split: [UInt8]) {
        var base = Blob()
        let x = base.name(Array("X".utf8)), u = base.name(Array("U".utf8)), p = base.name(Array("p".utf8))
        let forward = base.add(x, .forward, 0)
        let pointer = base.add(0, .pointer, forward)
        base.add(u, .struct, vlen: 1, 8, [p, pointer, 0])
        var split = Blob(splitAfter: base.count, stringBase: UInt32(base.strings.count))
        let ownX = split.add(split.name(Array("X".utf8)), .struct, 4)
        let ownPointer = split.add(0, .pointer, ownX)
        split.add(split.name(Array("U".utf8)), .struct, vlen: 1, 8, [split.name(Array("p".utf8)), ownPointer, 0])
        split.add(split.name(Array("TX".utf8)), .typedef, forward)
        split.add(split.name(Array("V".utf8)), .struct, vlen: 1, 4, [split.name(Array("x".utf8)), forward, 0])
        return (base.bytes, split.bytes)
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
