import ELF64

/// `.BTF.ext`: per-section function info, line info and CO-RE relocation records.
///
/// Record sizes come from the blob (a larger, future size is accepted and the
/// extra bytes ignored; a smaller one is rejected). Instruction offsets are in
/// bytes, as clang writes them into objects. Section and string names resolve
/// through the object's ``BTF``.
public struct BTFExt: @unchecked Sendable {
    public let byteOrder: ByteOrder
    public let functionInfo: [ExtSection<FunctionInfo>]
    public let lineInfo: [ExtSection<LineInfo>]
    public let coreRelocations: [ExtSection<CORERelocation>]
    /// Keeps the bytes alive when read from a file.
    private let owner: AnyObject?

    static let minimumHeader = 24

    /// Reads the `.BTF.ext` section of an ELF object, naming sections through `btf`; `nil` when the object has none.
    public init?(elf: ELFFile, btf: BTF) throws(BTFError) {
        guard let section = elf.section(named: ".BTF.ext") else { return nil }
        try self.init(section: section, of: elf, btf: btf)
    }

    /// Reads `.BTF.ext` from `section` (already found) of `elf`, naming sections through `btf`.
    public init(section: Section, of elf: ELFFile, btf: BTF) throws(BTFError) {
        try self.init(bytes: section.data, btf: btf, owner: elf.storage)
    }

    /// Reads a `.BTF.ext` blob the caller keeps alive, naming sections through `btf`.
    public init(unsafeBytes bytes: UnsafeRawBufferPointer, btf: BTF) throws(BTFError) {
        try self.init(bytes: bytes, btf: btf, owner: nil)
    }

    init(bytes: UnsafeRawBufferPointer, btf: BTF, owner: AnyObject?) throws(BTFError) {
        self.owner = owner
        let headerLength: UInt32
        (byteOrder, headerLength) = try BTF.prologue(bytes)
        let reader = ByteReader(bytes, order: byteOrder)
        guard headerLength >= UInt32(Self.minimumHeader), UInt64(headerLength) <= UInt64(bytes.count),
            let header = reader.record(at: 0, size: Int(headerLength))
        else {
            throw BTFError(.badHeaderLength(headerLength), offset: 4)
        }
        func part(_ field: Int) throws(BTFError) -> ByteReader? {
            guard Int(headerLength) >= field + 8 else { return nil }
            let offset = UInt64(headerLength) + UInt64(header.u32(field)), length = UInt64(header.u32(field + 4))
            guard length > 0 else { return nil }
            guard let sub = reader.subReader(offset: offset, size: length) else {
                throw BTFError(
                    .sectionOutOfBounds(offset: offset, length: length, available: bytes.count), offset: field)
            }
            return sub
        }
        functionInfo = try Self.sections(part(8), base: Int(headerLength) + Int(header.u32(8)), btf: btf)
        lineInfo = try Self.sections(part(16), base: Int(headerLength) + Int(header.u32(16)), btf: btf)
        coreRelocations = try Self.sections(
            part(24), base: Int(headerLength) + (Int(headerLength) >= 32 ? Int(header.u32(24)) : 0), btf: btf)
    }

    /// Splits one info part (`u32 record_size`, then `{sec_name_off, num_info, records…}`…) into sections.
    private static func sections<R: ExtRecord>(
        _ part: ByteReader?, base: Int, btf: BTF
    ) throws(BTFError) -> [ExtSection<R>] {
        guard let part else { return [] }
        guard let sizeRecord = part.record(at: 0, size: 4) else {
            throw BTFError(.truncated(needed: 4, available: part.count), offset: base)
        }
        let recordSize = sizeRecord.u32(0)
        guard recordSize >= UInt32(R.minimumSize), recordSize % 4 == 0 else {
            throw BTFError(.recordTooSmall(recordSize, minimum: R.minimumSize), offset: base)
        }
        var result: [ExtSection<R>] = []
        result.reserveCapacity(min(part.count / 8, 16))  // a section's header takes 8 bytes; most objects have a few
        var at: UInt64 = 4
        while at < UInt64(part.count) {
            guard let head = part.record(at: at, size: 8) else {
                throw BTFError(.truncated(needed: at + 8, available: part.count), offset: base + Int(at))
            }
            let count = UInt64(head.u32(4))
            let (length, overflow) = count.multipliedReportingOverflow(by: UInt64(recordSize))
            guard !overflow, let records = part.slice(offset: at + 8, size: length) else {
                throw BTFError(
                    .truncated(needed: at + 8 + (overflow ? .max / 2 : length), available: part.count),
                    offset: base + Int(at))
            }
            let name = try btf.string(at: head.u32(0))
            result.append(
                ExtSection(
                    name: name,
                    records: ExtRecords(bytes: records, order: part.order, stride: Int(recordSize), count: Int(count))))
            at += 8 + length
        }
        return result
    }
}

/// The records of one ELF section in `.BTF.ext`.
public struct ExtSection<R: ExtRecord>: Sendable {
    /// The ELF section the records describe (e.g. `xdp`, `.text`).
    public let name: ByteString
    public let records: ExtRecords<R>
    /// Whether instruction offsets never decrease (as compilers write them): ranges can be binary-searched.
    public let isSorted: Bool
    /// For a section out of order, its record indices sorted by instruction offset (stable), found
    /// once: ranges of it are binary-searched too, so that programs × records stays N log N.
    @usableFromInline let sortedOrder: [Int]

    init(name: ByteString, records: ExtRecords<R>) {
        self.name = name
        self.records = records
        // One pass over the first word of each record (a hot loop: objects carry thousands of line
        // records), in a byte order fixed at compile time.
        let sorted =
            records.order == .host ? records.offsetsAscend(HostOrder.self) : records.offsetsAscend(SwappedOrder.self)
        isSorted = sorted
        sortedOrder = sorted ? [] : stableOrder(of: records.map(\.instructionOffset))
    }

    /// The records whose instruction byte offsets fall in `range`, by offset: a view of the blob when
    /// the section is sorted (binary search, no copy), a copy otherwise (binary search of the sorted order found on open).
    @inlinable
    public func records(in range: Range<Int>) -> ExtRun<R> {
        let count = records.count
        func offset(_ i: Int) -> Int { Int(records[isSorted ? i : sortedOrder[i]].instructionOffset) }
        func firstIndex(atOrAfter wanted: Int) -> Int {
            var low = 0, high = count
            while low < high {
                let mid = (low + high) / 2
                if offset(mid) < wanted { low = mid + 1 } else { high = mid }
            }
            return low
        }
        let found = firstIndex(atOrAfter: range.lowerBound)..<firstIndex(atOrAfter: range.upperBound)
        return isSorted ? .view(records, found) : .copied(found.map { records[sortedOrder[$0]] })
    }
}

/// Some records of one section: a range of the blob, or a copy when the section is out of order.
public enum ExtRun<R: ExtRecord>: Sendable {
    case view(ExtRecords<R>, Range<Int>)
    case copied([R])

    public static var empty: ExtRun<R> { .copied([]) }

    /// The records, transformed.
    @inlinable
    public func map<T>(_ transform: (R) -> T) -> [T] {
        switch self {
        case let .view(records, range): range.map { transform(records[$0]) }
        case let .copied(records): records.map(transform)
        }
    }

    /// For a view of records in the host's byte order, their bytes (whole records of `stride`
    /// bytes each, the first word of each its instruction offset): for callers that convert
    /// many records in one tight loop rather than decoding each.
    public var hostOrderBytes: (bytes: UnsafeRawBufferPointer, stride: Int)? {
        guard case let .view(records, range) = self, records.order == .host else { return nil }
        // `records.bytes` holds `records.count` whole records, and `range` lies within them.
        let start = range.lowerBound * records.stride, end = range.upperBound * records.stride
        return (UnsafeRawBufferPointer(rebasing: records.bytes[start..<end]), records.stride)
    }

    /// The number of records.
    @inlinable
    public var count: Int {
        switch self {
        case let .view(_, range): range.count
        case let .copied(records): records.count
        }
    }

    /// Appends the records, transformed, to `list`: an empty list (an entry program's, the usual
    /// case) becomes the mapped records; otherwise they are appended with room made at once (at
    /// least doubling, so that appending many runs stays linear), no array in between.
    @inlinable
    public func append<T>(to list: inout [T], _ transform: (R) -> T) {
        if list.isEmpty {
            list = map(transform)
            return
        }
        list.reserve(additional: count)
        switch self {
        case let .view(records, range): for i in range { list.append(transform(records[i])) }
        case let .copied(records): for record in records { list.append(transform(record)) }
        }
    }
}

/// A record kind of `.BTF.ext`.
public protocol ExtRecord: Sendable {
    /// The size of the fields this reader knows.
    static var minimumSize: Int { get }
    /// Byte offset of the instruction the record describes.
    var instructionOffset: UInt32 { get }
    init(_ record: Record)
}

/// Records of one kind and section, decoded on access.
public struct ExtRecords<R: ExtRecord>: RandomAccessCollection, @unchecked Sendable {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline let order: ByteOrder
    @usableFromInline let stride: Int
    public let count: Int

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { count }
    @inlinable public subscript(i: Int) -> R {
        R(Record(bytes, order: order).record(at: i * stride, size: stride))
    }

    /// Whether the records' instruction offsets never decrease, read in the byte order `Order`.
    func offsetsAscend<Order: WordOrder>(_: Order.Type) -> Bool {
        let words = Record(bytes, order: order)  // `bytes` holds `count` whole records
        var previous: UInt32 = 0
        for index in 0..<count {
            let offset = words.u32(index * stride, Order.self)
            if offset < previous { return false }
            previous = offset
        }
        return true
    }
}

/// `bpf_func_info`: the BTF FUNC describing the function starting at an instruction.
public struct FunctionInfo: ExtRecord, Hashable {
    /// Byte offset of the function's first instruction in its section.
    public let instructionOffset: UInt32
    public let typeID: TypeID
    public static let minimumSize = 8
    @inlinable public init(_ r: Record) { instructionOffset = r.u32(0); typeID = r.u32(4) }
    public init(instructionOffset: UInt32, typeID: TypeID) {
        self.instructionOffset = instructionOffset; self.typeID = typeID
    }
}

/// `bpf_line_info`: the source line of an instruction.
public struct LineInfo: ExtRecord, Hashable {
    public let instructionOffset: UInt32
    /// String offsets (in the object's BTF) of the file name and the source line's text.
    public let fileNameOffset: UInt32
    public let lineOffset: UInt32
    /// `line_col`: line number in the upper 22 bits, column in the lower 10.
    public let lineColumn: UInt32
    public var line: UInt32 { lineColumn >> 10 }
    public var column: UInt32 { lineColumn & 0x3ff }
    public static let minimumSize = 16
    @inlinable public init(_ r: Record) {
        instructionOffset = r.u32(0); fileNameOffset = r.u32(4); lineOffset = r.u32(8); lineColumn = r.u32(12)
    }
}

/// `bpf_core_relo`: a CO-RE relocation of one instruction.
public struct CORERelocation: ExtRecord, Hashable {
    public let instructionOffset: UInt32
    /// The local (object) type the access starts from.
    public let typeID: TypeID
    /// String offset of the access string, e.g. `0:1:2`.
    public let accessStringOffset: UInt32
    /// `enum bpf_core_relo_kind`.
    public let kind: UInt32
    public static let minimumSize = 16
    @inlinable public init(_ r: Record) {
        instructionOffset = r.u32(0); typeID = r.u32(4); accessStringOffset = r.u32(8); kind = r.u32(12)
    }
}

/// The indices of `keys` in ascending key order, equal keys in index order (one sort, for every record kind).
@usableFromInline
func stableOrder(of keys: [UInt32]) -> [Int] {
    keys.indices.sorted { (keys[$0], $0) < (keys[$1], $1) }
}
