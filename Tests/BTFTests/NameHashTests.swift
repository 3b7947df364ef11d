import BTF
import Testing

@Suite("NameHash (BTF names)")
struct NameHashTests {
    /// Bytes 1...255 cycling (no NUL), `count` of them.
    private func name(_ count: Int, seed: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: ($0 * 7 + seed) % 255 + 1) }
    }

    @Test("a name hashes alike whether its length is given or found by its NUL, at every length to 100")
    func lengthKnownOrFound() {
        for count in 0...100 {
            let bytes = name(count, seed: count)
            // The NUL, then bytes the terminated walk may read but must not mix in.
            let terminated = bytes + [0] + [UInt8](repeating: 0xaa, count: 40)
            let known = bytes.withUnsafeBufferPointer { NameHash.hash($0, key: .process) }
            let found = terminated.withUnsafeBytes {
                NameHash.hashTerminated($0.baseAddress!, end: $0.baseAddress! + $0.count, key: .process)
            }
            #expect(known == found.0, "length \(count)")
            #expect(found.isEmpty == (count == 0))
        }
        let empty = NameHash.hash(UnsafeBufferPointer(start: nil, count: 0), key: .process)
        #expect(empty == [UInt8]().withUnsafeBufferPointer { NameHash.hash($0, key: .process) })
    }

    @Test("names differing in one byte at any position of the first 40 hash apart")
    func everyByteCounts() {
        for count in 1...40 {
            let base = name(count, seed: 3)
            let hash = base.withUnsafeBufferPointer { NameHash.hash($0, key: .process) }
            for position in 0..<count {
                var other = base
                other[position] ^= 0x40
                #expect(other.withUnsafeBufferPointer { NameHash.hash($0, key: .process) } != hash)
            }
        }
    }
}
