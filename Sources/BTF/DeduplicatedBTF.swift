import ELF64

/// The result of deduplicating BTF: the remaining types in wire form, and where each input type went.
public struct DeduplicatedBTF: Sendable {
    /// How many types remain (own types only, for split BTF).
    public let typeCount: Int
    /// For each input, the new id of each of its own types (`[input][id - firstID]`): what
    /// BTF.ext records and relocations referring to the old ids must be rewritten to.
    public var typeMaps: [[TypeID]]
    /// The remaining types' words in host order (headers and what follows them), names as offsets
    /// into `strings`.
    let words: [UInt32]
    /// The names, each once, after the empty string.
    let strings: [UInt8]
    /// Where own strings start in the offset space: the base's string section's size, for split BTF.
    let stringBase: UInt32

    /// The BTF blob: header, types, strings (split BTF's own strings, offsets past its base's). A
    /// non-empty `preservedStrings` (a string section whose offsets must stay valid: .BTF.ext refers
    /// to it) starts the strings, and names found in it are used from there; the others follow. It
    /// must start with NUL (the empty name, offset 0), or this is `malformedStrings`.
    public func encode(byteOrder: ByteOrder = .host, preservedStrings: [UInt8] = []) throws(BTFError) -> [UInt8] {
        guard preservedStrings.first ?? 0 == 0 else { throw BTFError(.malformedStrings) }
        guard preservedStrings.count > 1, let table = StringTableBuilder(adopting: preservedStrings) else {
            return encode(byteOrder: byteOrder, words: words, strings: strings)
        }
        return encode(byteOrder: byteOrder, strings: table)
    }

    /// The BTF blob with `table` (a string table under construction, whose offsets must stay valid)
    /// as the start of its strings: names found in it are used from there, the others appended.
    package func encode(byteOrder: ByteOrder, strings table: consuming StringTableBuilder) -> [UInt8] {
        // Each own string's offset in the table, by its old offset (own strings are the output's: few).
        var newOffset = [UInt32](filling: strings.count, with: 0)
        strings.withUnsafeBufferPointer { own in
            var start = 1
            for index in 1..<own.count where own[index] == 0 {
                newOffset[start] = table.offset(of: UnsafeBufferPointer(rebasing: own[start..<index]))
                start = index + 1
            }
        }
        var words = words
        Self.rewriteNames(&words) { newOffset[Int($0)] }
        return encode(byteOrder: byteOrder, words: words, strings: table.bytes)
    }

    /// The BTF blob with the strings the types were placed in (for the linker: the table it passed
    /// to ``BTF/deduplicating(_:names:)``, which its `.BTF.ext` records name too).
    package func blob(byteOrder: ByteOrder) -> [UInt8] { encode(byteOrder: byteOrder, words: words, strings: strings) }

    /// Header, `words` and `strings`, the names in `words` moved past the base's strings for split BTF.
    private func encode(byteOrder: ByteOrder, words: [UInt32], strings: [UInt8]) -> [UInt8] {
        var words = words
        if stringBase > 0 { shiftNames(&words, by: stringBase) }
        var out = IntegerWriter(order: byteOrder)
        out.bytes.reserveCapacity(BTF.headerSize + 4 * words.count + strings.count)
        out.bytes += byteOrder == .little ? [0x9f, 0xeb, 1, 0] : [0xeb, 0x9f, 1, 0]
        out.put(UInt32(BTF.headerSize))
        out.put(UInt32(0))
        out.put(UInt32(4 * words.count))
        out.put(UInt32(4 * words.count))
        out.put(UInt32(strings.count))
        if byteOrder == .host {
            words.withUnsafeBytes { out.bytes.append(contentsOf: $0) }
        } else {
            for word in words { out.put(word) }
        }
        out.bytes += strings
        return out.bytes
    }

    /// Own names moved past the base's strings (the empty name stays 0: the base's).
    private func shiftNames(_ words: inout [UInt32], by base: UInt32) {
        Self.rewriteNames(&words) { $0 == 0 ? 0 : $0 + base }
    }

    /// Applies `transform` to every name word of the types in `words`.
    private static func rewriteNames(_ words: inout [UInt32], _ transform: (UInt32) -> UInt32) {
        var at = 0
        while at < words.count {
            let info = words[at + 1]
            let kind = Kind(rawValue: UInt8(info >> 24 & 0x1f)) ?? .int
            words[at] = transform(words[at])
            let trailing = kind.trailingSize(vlen: Int(info & 0xffff)) / 4
            for index in 0..<trailing where DedupTypes.isName(kind, word: index) {
                words[at + 3 + index] = transform(words[at + 3 + index])
            }
            at += 3 + trailing
        }
    }
}
