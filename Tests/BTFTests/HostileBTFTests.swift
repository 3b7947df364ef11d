@testable import BTF
import ParserHarness
import TestSupport
import Testing

/// The worst cases of walks that were super-linear, timed at N and 8N: linear or N log N now.
@Suite("Hostile BTF: linear on crafted input")
struct HostileBTFTests {
    @Test("names crafted to collide under the old unkeyed hash index in linear time, and each is found")
    func collidingNames() throws {
        let ratio = Scaling.ratio(2_000, make: { HostileBTF.collidingNames(count: $0) }) { bytes in
            bytes.withUnsafeBytes { raw in _ = try? BTF(unsafeBytes: raw).nameIndex }
        }
        #expect(ratio < 16, "index build at 8× the names took \(ratio)× the time")
        let bytes = HostileBTF.collidingNames(count: 5_000)
        try bytes.withUnsafeBytes { raw in
            let btf = try BTF(unsafeBytes: raw)
            var id = btf.firstID
            while id < btf.endID {
                var found: [TypeID] = []
                btf.nameIndex.forEach(named: try btf.type(id).name.utf8, kind: nil) { found.append($0) }
                #expect(found == [id])
                id += 1
            }
        }
    }
}

extension HostileBTFTests {
    @Test(
        "a DAG of anonymous structs, each holding two of the one before: the C dump ends in a typed error in linear time"
    )
    func anonymousDAGInC() throws {
        let ratio = Scaling.ratio(4, make: { HostileBTF.anonymousDAG(depth: $0 * 3).blob }) { bytes in
            bytes.withUnsafeBytes { raw in
                var text = ""
                _ = try? BTF(unsafeBytes: raw).dumpC(to: &text)
            }
        }
        #expect(ratio < 16, "C dump at 8× the types took \(ratio)× the time")
        let (bytes, _) = HostileBTF.anonymousDAG(depth: 28)
        #expect {
            try bytes.withUnsafeBytes { raw in
                var text = ""
                try BTF(unsafeBytes: raw).dumpC(to: &text)
            }
        } throws: { error in
            guard let error = error as? BTFError, case .outputTooLarge = error.reason else { return false }
            return true
        }
        // A shallow DAG still dumps: 2^6 inline copies of the innermost int.
        let (small, _) = HostileBTF.anonymousDAG(depth: 6)
        var text = ""
        try small.withUnsafeBytes { raw in try BTF(unsafeBytes: raw).dumpC(to: &text) }
        #expect(text.components(separatedBy: "int m0_").count - 1 == 64)
    }

    @Test("nested unions: the formatted value is bounded by the bytes given, a typed error past that")
    func nestedUnionsFormatted() throws {
        let ratio = Scaling.ratio(4, make: { HostileBTF.anonymousDAG(depth: $0, width: 8, kind: .union) }) { input in
            input.blob.withUnsafeBytes { raw in
                _ = try? BTF(unsafeBytes: raw).formattedValue([1, 2, 3, 4], type: input.top)
            }
        }
        #expect(ratio < 16, "formatting at 8× the depth took \(ratio)× the time")
        let (bytes, top) = HostileBTF.anonymousDAG(depth: 15, width: 8, kind: .union)
        #expect {
            try bytes.withUnsafeBytes { raw in _ = try BTF(unsafeBytes: raw).formattedValue([1, 2, 3, 4], type: top) }
        } throws: { error in
            guard let error = error as? BTFError, case .outputTooLarge = error.reason else { return false }
            return true
        }
        let (shallow, shallowTop) = HostileBTF.anonymousDAG(depth: 2, width: 2, kind: .union)
        let value = try shallow.withUnsafeBytes { raw in
            try BTF(unsafeBytes: raw).formattedValue([1, 0, 0, 0], type: shallowTop)
        }
        #expect(value.description == #"{"m1_0":{"m0_0":1,"m0_1":1},"m1_1":{"m0_0":1,"m0_1":1}}"#)
    }

    @Test("thousands of members sharing one long name: decoded and encoded in linear time and memory, names kept")
    func sharedLongName() throws {
        let ratio = Scaling.ratio(1_000, make: { HostileBTF.sharedLongName(members: $0, length: 4_096) }) { bytes in
            bytes.withUnsafeBytes { raw in
                guard let btf = try? BTF(unsafeBytes: raw), let builder = try? BTFBuilder(decoding: btf) else { return }
                _ = builder.encode()
            }
        }
        #expect(ratio < 16, "decode + encode at 8× the members took \(ratio)× the time")
        let bytes = HostileBTF.sharedLongName(members: 3, length: 100)
        let builder = try bytes.withUnsafeBytes { raw in try BTFBuilder(decoding: try BTF(unsafeBytes: raw)) }
        let encoded = builder.encode(byteOrder: .little)
        #expect(encoded.count <= bytes.count, "one copy of the long name in the encoded strings")
        try encoded.withUnsafeBytes { raw in
            let btf = try BTF(unsafeBytes: raw)
            #expect(try btf.type(2).members.map { $0.name.count } == [100, 100, 100])
        }
    }
}
