import ELF64
import Testing

@Suite("NameHash and the tables keyed by it")
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

    @Test("a string table gives each distinct string one offset, found again by its bytes, past growth")
    func stringTable() {
        var table = StringTableBuilder()
        var offsets: [String: UInt32] = [:]
        for index in 0..<2000 {
            let string = "name_\(index % 700)_" + String(repeating: "x", count: index % 13)
            let offset = table.offset(of: string)
            if let known = offsets[string] { #expect(known == offset) } else { offsets[string] = offset }
            let stored = table.bytes[Int(offset)...].prefix { $0 != 0 }
            #expect(String(decoding: stored, as: UTF8.self) == string)
        }
        #expect(table.offset(of: "") == 0)
        #expect(Set(offsets.values).count == offsets.count)
        let expectedSize = 1 + offsets.keys.reduce(0) { $0 + $1.utf8.count + 1 }
        #expect(table.bytes.count == expectedSize)
    }

    @Test("a table adopted from bytes keeps them, finds each string at its first offset, appends the rest")
    func adoptedTable() throws {
        let preserved = Array("\0abc\0line one\0abc\0bc".utf8)  // a repeat, and no final NUL
        var table = try #require(StringTableBuilder(adopting: preserved))
        #expect(Array(table.bytes.prefix(preserved.count)) == preserved)
        #expect(table.bytes.last == 0)
        #expect(table.offset(of: "abc") == 1)
        #expect(table.offset(of: "line one") == 5)
        #expect(table.offset(of: "bc") == 18)
        let size = table.bytes.count
        #expect(table.offset(of: "new") == UInt32(size))
        #expect(table.offset(of: "new") == UInt32(size))
        #expect(table.bytes.count == size + 4)
        #expect(StringTableBuilder(adopting: Array("x\0".utf8)) == nil)
        #expect(StringTableBuilder(adopting: [])?.bytes == [0])
    }
}
