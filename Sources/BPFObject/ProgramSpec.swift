import BTF
import ELF64

/// A function of the object: an entry program (in a program section) or a subprogram (in `.text`).
public struct ProgramSpec: Sendable {
    public var name: String
    public var sectionName: String
    public var sectionIndex: Int
    /// What the section name declares; `nil` for `.text` and for sections no definition matches.
    public var kind: ProgramKind?
    /// The function's instructions as the object stores them (relocations not applied).
    public var instructions: [Instruction]
    /// Index of the first instruction within its section.
    public var sectionOffset: Int
    /// Whether the symbol is global (`GLOBAL`/`WEAK`) rather than static.
    public var isGlobal: Bool
    /// A global of hidden (or internal) visibility (`__hidden`): as libbpf does, a subprogram's BTF
    /// FUNC goes to the kernel as static, so that the verifier checks it in its caller's context.
    public internal(set) var isHidden = false
    /// Instructions that name something the loader must fill in.
    public var references: [Reference] = []
    /// Whether a load loads this entry program (libbpf's `bpf_program__set_autoload`); see ``ObjectSpec/setAutoLoad(_:program:)``.
    public internal(set) var autoLoad = true
    /// This function's `.BTF.ext` records, read from the object when asked.
    var functionRecords: ExtRun<FunctionInfo> = .empty
    var lineRecords: ExtRun<LineInfo> = .empty

    /// `.BTF.ext` func_info of this function, with instruction indices relative to its start.
    public var functionInfo: [FunctionRecord] {
        functionRecords.map {
            FunctionRecord(instruction: Int($0.instructionOffset) / Instruction.size - sectionOffset, typeID: $0.typeID)
        }
    }

    /// `.BTF.ext` line_info of this function, with instruction indices relative to its start.
    public var lineInfo: [LineRecord] {
        lineRecords.map {
            LineRecord(
                instruction: Int($0.instructionOffset) / Instruction.size - sectionOffset,
                fileNameOffset: $0.fileNameOffset, lineOffset: $0.lineOffset, lineColumn: $0.lineColumn)
        }
    }

    /// Whether this is a `.text` function, only ever run as part of an entry program.
    public var isSubprogram: Bool { sectionName == ".text" }
}

/// An instruction that refers to something outside it.
public struct Reference: Hashable, Sendable {
    /// Index of the instruction within its program.
    public let instruction: Int
    public let target: Target

    public enum Target: Hashable, Sendable {
        /// `ld_imm64` of a map (`BPF_PSEUDO_MAP_FD`): index into ``ObjectSpec/maps``.
        case map(Int)
        /// `ld_imm64` of an address in global data (`BPF_PSEUDO_MAP_VALUE`): map index and byte offset.
        case mapValue(Int, offset: UInt32)
        /// A BPF-to-BPF call or a callback address: the instruction index within an ELF section.
        case function(section: Int, instruction: Int, callback: Bool)
        /// An extern (`__kconfig`, `__ksym`) named by an undefined symbol.
        case external(String)
    }
}

/// A `bpf_func_info` with the instruction index relative to its function. Stored as the kernel's
/// record (two 32-bit words), so that an array of them is what `BPF_PROG_LOAD` takes.
public struct FunctionRecord: Hashable, Sendable {
    private var instructionWord: UInt32
    public var typeID: TypeID

    public var instruction: Int {
        get { Int(instructionWord) }
        set { instructionWord = UInt32(truncatingIfNeeded: newValue) }
    }

    public init(instruction: Int, typeID: TypeID) {
        instructionWord = UInt32(truncatingIfNeeded: instruction)
        self.typeID = typeID
    }

    /// Whether arrays of records are laid out as the kernel's `struct bpf_func_info`.
    static let hasKernelLayout = MemoryLayout<Self>.stride == 8 && MemoryLayout<Self>.offset(of: \.typeID) == 4
}

/// A `bpf_line_info` with the instruction index relative to its function, stored as the kernel's
/// record (four 32-bit words).
public struct LineRecord: Hashable, Sendable {
    private var instructionWord: UInt32
    public var fileNameOffset: UInt32
    public var lineOffset: UInt32
    public var lineColumn: UInt32

    public var instruction: Int {
        get { Int(instructionWord) }
        set { instructionWord = UInt32(truncatingIfNeeded: newValue) }
    }

    public init(instruction: Int, fileNameOffset: UInt32, lineOffset: UInt32, lineColumn: UInt32) {
        instructionWord = UInt32(truncatingIfNeeded: instruction)
        self.fileNameOffset = fileNameOffset
        self.lineOffset = lineOffset
        self.lineColumn = lineColumn
    }

    /// Appends the `.BTF.ext` line records in `bytes` (host order, `stride` bytes each, at least
    /// the 16 this reads), their instruction byte offsets made instruction indices plus `shift`:
    /// one pass of word loads and stores (thousands of records in a large program).
    static func append(_ bytes: UnsafeRawBufferPointer, stride: Int, shift: Int, to list: inout [LineRecord]) {
        precondition(stride >= 16, "line records of at least 16 bytes (BTFExt checks rec_size)")
        let count = bytes.count / stride
        guard count > 0, let base = bytes.baseAddress else { return }
        // Appended one by one into room made first (`Array(unsafeUninitializedCapacity:)` would
        // look up the storage's type metadata at run time, which costs more than a short run).
        list.reserve(additional: count)
        for i in 0..<count {
            let record = base + i * stride
            list.append(
                LineRecord(
                    instruction: Int(record.loadUnaligned(as: UInt32.self)) / Instruction.size + shift,
                    fileNameOffset: record.loadUnaligned(fromByteOffset: 4, as: UInt32.self),
                    lineOffset: record.loadUnaligned(fromByteOffset: 8, as: UInt32.self),
                    lineColumn: record.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
        }
    }

    /// Whether arrays of records are laid out as the kernel's `struct bpf_line_info`.
    static let hasKernelLayout =
        MemoryLayout<Self>.stride == 16 && MemoryLayout<Self>.offset(of: \.fileNameOffset) == 4
        && MemoryLayout<Self>.offset(of: \.lineOffset) == 8 && MemoryLayout<Self>.offset(of: \.lineColumn) == 12
}

extension Array where Element == FunctionRecord {
    /// Calls `body` with the records as an array of `struct bpf_func_info`.
    public func withKernelRecords<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        if FunctionRecord.hasKernelLayout { return withUnsafeBytes(body) }
        return flatMap { [UInt32(truncatingIfNeeded: $0.instruction), $0.typeID] }.withUnsafeBytes(body)
    }
}

extension Array where Element == LineRecord {
    /// Calls `body` with the records as an array of `struct bpf_line_info`.
    public func withKernelRecords<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        if LineRecord.hasKernelLayout { return withUnsafeBytes(body) }
        return flatMap {
            [UInt32(truncatingIfNeeded: $0.instruction), $0.fileNameOffset, $0.lineOffset, $0.lineColumn]
        }.withUnsafeBytes(body)
    }
}
