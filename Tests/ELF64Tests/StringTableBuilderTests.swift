import ELF64
import TestSupport
import Testing

@Suite("ByteHash and the string tables keyed by it")
struct StringTableBuilderTests {
    @Test("byte strings differing in one byte at any position of the first 40 hash apart; lengths count")
    func everyByteCounts() {
        for count in 1...40 {
            let base = GuardedBytes.name(count: count, seed: 3)
            let hash = base.withUnsafeBufferPointer { ByteHash.hash($0) }
            for position in 0..<count {
                var other = base
                other[position] ^= 0x40
                #expect(other.withUnsafeBufferPointer { ByteHash.hash($0) } != hash)
            }
            let longer = base + [0]
            #expect(longer.withUnsafeBufferPointer { ByteHash.hash($0) } != hash)
        }
        let empty = ByteHash.hash(UnsafeBufferPointer(start: nil, count: 0))
        #expect(empty == [UInt8]().withUnsafeBufferPointer { ByteHash.hash($0) })
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

    @Test("reserving room keeps every string found at its offset, before and after, in adopted tables too")
    func reservedTable() throws {
        var table = try #require(StringTableBuilder(adopting: Array("\0kept\0also kept\0".utf8)))
        var offsets: [String: UInt32] = ["kept": 1, "also kept": 6]
        for round in 0..<3 {
            table.reserve(strings: 500 * (round + 1), bytes: 4000)
            for (string, offset) in offsets { #expect(table.offset(of: string) == offset) }
            for index in 0..<300 {
                let string = "r\(round)_\(index)"
                let offset = table.offset(of: string)
                #expect(offsets.updateValue(offset, forKey: string) ?? offset == offset)
            }
        }
        for (string, offset) in offsets {
            #expect(table.offset(of: string) == offset)
            #expect(String(decoding: table.bytes[Int(offset)...].prefix { $0 != 0 }, as: UTF8.self) == string)
        }
        #expect(Set(offsets.values).count == offsets.count)
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

    @Test("ByteHash reads no byte past the string (fault pages on both sides), lengths 0...100")
    func hashStaysInside() {
        GuardedBytes.withPage { start, end in
            for count in 0...100 {
                let bytes = GuardedBytes.name(count: count, seed: count)
                (end - count).copyMemory(from: bytes, byteCount: count)
                start.copyMemory(from: bytes, byteCount: count)
                let atEnd = ByteHash.hash(
                    UnsafeBufferPointer(start: (end - count).assumingMemoryBound(to: UInt8.self), count: count))
                let atStart = ByteHash.hash(
                    UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count))
                #expect(atEnd == atStart, "length \(count)")
            }
        }
    }

    @Test("random adopted tables (repeats, runs of NULs, no final NUL): kept, strings found first, new ones appended")
    func adoptedRandomTables() throws {
        var random = SeededGenerator(seed: 7)
        let alphabet: [UInt8] = [0, 0, 0x61, 0x62, 0x63]
        for _ in 0..<300 {
            var bytes: [UInt8] =
                [0]
                + (0..<Int.random(in: 0..<60, using: &random)).map { _ in
                    alphabet.randomElement(using: &random)!
                }
            var table = try #require(StringTableBuilder(adopting: bytes))
            if bytes.last != 0 { bytes.append(0) }
            #expect(table.bytes == bytes)
            var first: [[UInt8]: Int] = [:]
            var start = 1
            for index in 1..<bytes.count where bytes[index] == 0 {
                if index > start, first[Array(bytes[start..<index])] == nil {
                    first[Array(bytes[start..<index])] = start
                }
                start = index + 1
            }
            for (string, offset) in first {
                #expect(Int(string.withUnsafeBufferPointer { table.offset(of: $0) }) == offset)
            }
            #expect(table.bytes == bytes, "lookups add nothing")
            for _ in 0..<10 {
                let string = (0..<Int.random(in: 1..<6, using: &random)).map { _ in
                    [UInt8(0x61), 0x62, 0x63, 0x64].randomElement(using: &random)!
                }
                let offset = Int(string.withUnsafeBufferPointer { table.offset(of: $0) })
                #expect(Array(table.bytes[offset..<offset + string.count]) == string)
                #expect(table.bytes[offset + string.count] == 0)
                if let known = first[string] { #expect(offset == known) }
            }
        }
    }
}
