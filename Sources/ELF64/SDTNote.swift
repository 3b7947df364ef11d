/// One USDT probe site: a `.note.stapsdt` note (SystemTap's `<sys/sdt.h>`), as `readelf -n` shows it.
public struct SDTNote: Hashable, Sendable {
    public let provider: String
    public let name: String
    /// The probe's address as linked, before the `.stapsdt.base` adjustment (see ``ELFFile/sdtNotes()``).
    public let address: UInt64
    /// The address of `.stapsdt.base` when the note was written.
    public let base: UInt64
    /// The semaphore's address (0: none), adjusted as `address` is.
    public let semaphore: UInt64
    /// The argument specification, e.g. `-4@%esi 8@-24(%rbp) 4@$5` (empty for none).
    public let arguments: String

    public static let noteType: UInt32 = 3  // NT_STAPSDT
}

/// Why a `.note.stapsdt` note cannot be read.
public enum SDTNoteProblem: Hashable, Sendable, CustomStringConvertible {
    /// Fewer bytes than three addresses and three terminated strings.
    case descriptionTooShort(Int)
    /// The provider, the name or the arguments run to the end without their NUL.
    case unterminated(String)
    case emptyName

    public var description: String {
        switch self {
        case let .descriptionTooShort(size): "a \(size)-byte description cannot hold three addresses and three strings"
        case let .unterminated(field): "the \(field) has no terminating NUL"
        case .emptyName: "the probe has no name"
        }
    }
}

extension ELFFile {
    /// The USDT probes of `.note.stapsdt` (none without that section), each note checked as libbpf
    /// checks it; notes of other owners or types in the section are skipped. Addresses are adjusted
    /// for prelinking (the note's `.stapsdt.base` against the section's current address), so they
    /// are where the probe is in the file as it stands.
    public func sdtNotes() throws(ELFError) -> [SDTNote] {
        guard let section = section(named: ".note.stapsdt"), section.type == .note else { return [] }
        let adjustment = self.section(named: ".stapsdt.base")?.address
        let reader = ByteReader(section.data, order: byteOrder)
        var notes: [SDTNote] = []
        var at: UInt64 = 0
        while at < UInt64(reader.count) {
            let where_ = Int(section.offset) + Int(at)
            guard let head = reader.record(at: at, size: 12) else {
                throw ELFError(
                    .truncated(needed: at + 12, available: reader.count), field: "note header", offset: where_)
            }
            let nameSize = UInt64(head.u32(0)), descriptionSize = UInt64(head.u32(4)), type = head.u32(8)
            let nameStart = at + 12, descriptionStart = nameStart + (nameSize + 3) / 4 * 4
            let end = descriptionStart + (descriptionSize + 3) / 4 * 4  // sizes are 32-bit: no overflow
            guard let name = reader.slice(offset: nameStart, size: nameSize),
                let description = reader.slice(offset: descriptionStart, size: descriptionSize)
            else {
                throw ELFError(
                    .truncated(needed: descriptionStart + descriptionSize, available: reader.count),
                    field: "note n_namesz/n_descsz", offset: where_)
            }
            at = end
            guard type == SDTNote.noteType, name.elementsEqual("stapsdt\0".utf8) else { continue }
            notes.append(try Self.sdtNote(description, order: byteOrder, adjustment: adjustment, offset: where_))
        }
        return notes
    }

    private static func sdtNote(
        _ description: UnsafeRawBufferPointer, order: ByteOrder, adjustment: UInt64?, offset: Int
    ) throws(ELFError) -> SDTNote {
        func fail(_ problem: SDTNoteProblem) -> ELFError {
            ELFError(.sdtNote(problem), field: ".note.stapsdt note", offset: offset)
        }
        guard description.count >= 24 + 3, let addresses = ByteReader(description, order: order).record(at: 0, size: 24)
        else { throw fail(.descriptionTooShort(description.count)) }
        var cursor = 24
        func string(_ field: String) throws(ELFError) -> String {
            guard let end = description[cursor...].firstIndex(of: 0) else { throw fail(.unterminated(field)) }
            defer { cursor = end + 1 }
            return String(decoding: description[cursor..<end], as: UTF8.self)
        }
        let provider = try string("provider"), name = try string("name")
        guard !name.isEmpty else { throw fail(.emptyName) }
        guard cursor < description.count else { throw fail(.unterminated("arguments")) }
        var arguments = try string("arguments")
        if arguments.hasPrefix(":") { arguments = "" }  // libbpf: a leading ':' means no arguments
        // Prelink moves .stapsdt.base but not the notes: the difference moves the probe and its semaphore.
        var address = addresses.u64(0), semaphore = addresses.u64(16)
        let base = addresses.u64(8)
        if let adjustment, adjustment != 0 {
            address = address &+ (adjustment &- base)
            if semaphore != 0 { semaphore = semaphore &+ (adjustment &- base) }
        }
        return SDTNote(
            provider: provider, name: name, address: address, base: base, semaphore: semaphore, arguments: arguments)
    }
}
