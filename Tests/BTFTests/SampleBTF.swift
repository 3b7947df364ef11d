import BTF
import ELF64

/// A small BTF blob covering the common kinds, built with ``BTFBuilder``.
///
/// Ids: 1 int, 2 int *, 3 struct pair {int a; int b;}, 4 typedef pair_t,
/// 5 int[4], 6 enum color {RED, GREEN = -1} (signed), 7 int (*)(int x),
/// 8 FUNC f, 9 VAR v, 10 DATASEC .data, 11 const int, 12 FWD union u,
/// 13 ENUM64 big, 14 FLOAT double, 15 DECL_TAG on f, 16 TYPE_TAG on int,
/// 17 VOLATILE, 18 RESTRICT pointer.
enum SampleBTF {
    static var builder: BTFBuilder {
        var b = BTFBuilder()
        b.add(.int("int", size: 4, encoding: .signed))
        b.add(.pointer(to: 1))
        b.add(.aggregate(.struct, "pair", size: 8, members: [("a", 1, 0), ("b", 1, 32)]))
        b.add(TypeRecord(kind: .typedef, name: "pair_t", sizeOrType: 3))
        b.add(TypeRecord(kind: .array, sizeOrType: 0, trailing: [.value(1), .value(1), .value(4)]))
        b.add(
            TypeRecord(
                kind: .enum, name: "color", vlen: 2, kindFlag: true, sizeOrType: 4,
                trailing: [.name("RED"), .value(0), .name("GREEN"), .value(UInt32(bitPattern: -1))]))
        b.add(TypeRecord(kind: .functionProto, vlen: 1, sizeOrType: 1, trailing: [.name("x"), .value(1)]))
        b.add(TypeRecord(kind: .function, name: "f", vlen: 1, sizeOrType: 7))
        b.add(TypeRecord(kind: .variable, name: "v", sizeOrType: 1, trailing: [.value(1)]))
        b.add(
            TypeRecord(
                kind: .dataSection, name: ".data", vlen: 1, sizeOrType: 4, trailing: [.value(9), .value(0), .value(4)]))
        b.add(TypeRecord(kind: .const, sizeOrType: 1))
        b.add(TypeRecord(kind: .forward, name: "u", kindFlag: true, sizeOrType: 0))
        b.add(
            TypeRecord(
                kind: .enum64, name: "big", vlen: 1, sizeOrType: 8, trailing: [.name("HUGE"), .value(2), .value(1)]))
        b.add(TypeRecord(kind: .float, name: "double", sizeOrType: 8))
        b.add(TypeRecord(kind: .declTag, name: "tag", sizeOrType: 8, trailing: [.value(UInt32(bitPattern: -1))]))
        b.add(TypeRecord(kind: .typeTag, name: "user", sizeOrType: 1))
        b.add(TypeRecord(kind: .volatile, sizeOrType: 1))
        b.add(TypeRecord(kind: .restrict, sizeOrType: 2))
        return b
    }

    static func bytes(_ order: ByteOrder = .little) -> [UInt8] { builder.encode(byteOrder: order) }

    /// The expected raw dump, as bpftool would print it.
    static let rawDump = """
        [1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED
        [2] PTR '(anon)' type_id=1
        [3] STRUCT 'pair' size=8 vlen=2
        \t'a' type_id=1 bits_offset=0
        \t'b' type_id=1 bits_offset=32
        [4] TYPEDEF 'pair_t' type_id=3
        [5] ARRAY '(anon)' type_id=1 index_type_id=1 nr_elems=4
        [6] ENUM 'color' encoding=SIGNED size=4 vlen=2
        \t'RED' val=0
        \t'GREEN' val=-1
        [7] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1
        \t'x' type_id=1
        [8] FUNC 'f' type_id=7 linkage=global
        [9] VAR 'v' type_id=1, linkage=global
        [10] DATASEC '.data' size=4 vlen=1
        \ttype_id=9 offset=0 size=4 (VAR 'v')
        [11] CONST '(anon)' type_id=1
        [12] FWD 'u' fwd_kind=union
        [13] ENUM64 'big' encoding=UNSIGNED size=8 vlen=1
        \t'HUGE' val=4294967298ULL
        [14] FLOAT 'double' size=8
        [15] DECL_TAG 'tag' type_id=8 component_idx=-1
        [16] TYPE_TAG 'user' type_id=1
        [17] VOLATILE '(anon)' type_id=1
        [18] RESTRICT '(anon)' type_id=2

        """
}

/// Reads `bytes` as BTF and dumps every type; the error when rejected.
func readAndDump(_ bytes: [UInt8], base: BTF? = nil) -> Result<String, BTFError> {
    bytes.withUnsafeBytes { raw in
        do throws(BTFError) {
            let btf = try BTF(unsafeBytes: raw, base: base)
            var text = ""
            try btf.dumpRaw(to: &text)
            return .success(text)
        } catch {
            return .failure(error)
        }
    }
}

extension [UInt8] {
    /// Overwrites a 32-bit word at `offset` in `order`.
    mutating func patch(_ value: UInt32, at offset: Int, order: ByteOrder = .little) {
        let v = order == .little ? value.littleEndian : value.bigEndian
        Swift.withUnsafeBytes(of: v) { for (i, b) in $0.enumerated() { self[offset + i] = b } }
    }
}
