import BTF
import TestSupport
import Testing

@Suite("NameHash (BTF names)")
struct NameHashTests {
    @Test("a name hashes alike whether its length is given or found by its NUL, at every length to 100")
    func lengthKnownOrFound() {
        for count in 0...100 {
            let bytes = GuardedBytes.name(count: count, seed: count)
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
            let base = GuardedBytes.name(count: count, seed: 3)
            let hash = base.withUnsafeBufferPointer { NameHash.hash($0, key: .process) }
            for position in 0..<count {
                var other = base
                other[position] ^= 0x40
                #expect(other.withUnsafeBufferPointer { NameHash.hash($0, key: .process) } != hash)
            }
        }
    }

    @Test("no read past a name's bytes or its NUL (fault pages on both sides), lengths 0...300")
    func staysInside() {
        var random = SeededGenerator(seed: 12)
        GuardedBytes.withPage { start, end in
            for count in 0...300 {
                for trial in 0..<4 {
                    let pool: [UInt8] = trial == 0 ? [0x80, 0x01, 0xff, 0x7f, 0x81] : Array(1...255)
                    let bytes = (0..<count).map { _ in pool.randomElement(using: &random)! }
                    let atEnd = end - count
                    atEnd.copyMemory(from: bytes, byteCount: count)
                    let known = NameHash.hash(
                        UnsafeBufferPointer(start: atEnd.assumingMemoryBound(to: UInt8.self), count: count),
                        key: .process)
                    start.copyMemory(from: bytes, byteCount: count)
                    let atStart = NameHash.hash(
                        UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count),
                        key: .process)
                    #expect(atStart == known)
                    // Terminated, its NUL the page's last byte.
                    let terminated = end - count - 1
                    terminated.copyMemory(from: bytes, byteCount: count)
                    terminated.storeBytes(of: 0, toByteOffset: count, as: UInt8.self)
                    let found = NameHash.hashTerminated(
                        UnsafeRawPointer(terminated), end: UnsafeRawPointer(end), key: .process)
                    #expect(found.0 == known, "length \(count)")
                }
            }
        }
    }
}
