import ELF64

/// Where a USDT probe's arguments are, parsed from its note's argument string as libbpf parses it,
/// in the layout of `struct __bpf_usdt_spec` that libbpf's `usdt.bpf.h` reads (`bpf_usdt_arg()`):
/// objects written for libbpf read their arguments unchanged.
public struct USDTSpec: Hashable, Sendable {
    public let arguments: [USDTArgument]

    /// `EM_S390`.
    public static let s390 = Machine(rawValue: 22)

    /// `BPF_USDT_MAX_ARG_CNT`.
    public static let maximumArguments = 12
    /// `sizeof(struct __bpf_usdt_spec)`: 12 arguments of 16 bytes, the cookie, the count, padding.
    public static let size = 208

    public init(arguments: [USDTArgument]) {
        self.arguments = arguments
    }

    /// Parses an argument string such as `-4@%edi 8@-24(%rbp) -4@$42` for the probe's machine
    /// (x86-64: `%reg`, `off(%reg)`, `(%reg)`, `$const`, `off(%base,%index,scale)`; arm64: `xN`/`sp`,
    /// `[reg, off]`, `[reg]`, `const`; s390x: `%rN`, `off(%rN)`, `const`).
    public init(parsing text: String, machine: Machine) throws(USDTSpecProblem) {
        guard [.x86_64, .aarch64, Self.s390].contains(machine) else { throw .unsupportedMachine(machine) }
        var scanner = Scanner(Array(text.utf8))
        var arguments: [USDTArgument] = []
        scanner.skipSpaces()
        while !scanner.atEnd {
            guard arguments.count < Self.maximumArguments else { throw .tooManyArguments }
            let start = scanner.position
            let parsed =
                machine == .x86_64
                ? scanner.x86Argument() : machine == .aarch64 ? scanner.arm64Argument() : scanner.s390Argument()
            guard let argument = parsed else {
                throw .unrecognized(argument: arguments.count, text: scanner.text(from: start))
            }
            arguments.append(try argument.get())
            scanner.skipSpaces()
        }
        self.arguments = arguments
    }

    /// The spec as `struct __bpf_usdt_spec` in `order`, with `cookie` (what `bpf_usdt_cookie()` returns).
    public func encoded(cookie: UInt64, order: ByteOrder) -> [UInt8] {
        var out = IntegerWriter(order: order)
        for argument in arguments {
            let (type, value, register): (UInt32, Int64, Int16) =
                switch argument.location {
                case let .constant(value): (0, value, 0)
                case let .register(offset): (1, 0, offset)
                case let .memory(register, displacement): (2, displacement, register)
                case let .scaledIndex(base, index, scale, displacement):
                    // libbpf 1.7's bitfields after the 8-bit type: the index register's offset (12 bits)
                    // and log2 of the scale (4 bits), laid out by byte order as C lays bitfields out.
                    (
                        order == .little
                            ? 3 | UInt32(index) << 8 | UInt32(scale.trailingZeroBitCount) << 20
                            : 3 | UInt32(scale.trailingZeroBitCount) << 8 | UInt32(index) << 12,
                        displacement, base
                    )
                }
            out.put(UInt64(bitPattern: value))
            out.put(type)
            out.put(register)
            out.put(UInt8(argument.isSigned ? 1 : 0))
            out.put(Int8(64 - argument.size * 8))
        }
        out.bytes += repeatElement(0, count: (Self.maximumArguments - arguments.count) * 16)
        out.put(cookie)
        out.put(Int16(arguments.count))
        out.bytes += repeatElement(0, count: Self.size - out.bytes.count)
        return out.bytes
    }
}

/// One USDT argument: where its value is, and how wide and signed it is.
public struct USDTArgument: Hashable, Sendable {
    public enum Location: Hashable, Sendable {
        case constant(Int64)
        /// A register, by its byte offset in the kernel's `struct pt_regs`.
        case register(offset: Int16)
        /// Memory at a register plus a displacement.
        case memory(register: Int16, displacement: Int64)
        /// Memory at base + index × scale + displacement (x86's SIB form; read by libbpf 1.7's
        /// `usdt.bpf.h`, older ones refuse such an argument at run time).
        case scaledIndex(base: Int16, index: Int16, scale: Int, displacement: Int64)
    }

    public let location: Location
    /// 1, 2, 4 or 8 bytes.
    public let size: Int
    public let isSigned: Bool

    public init(location: Location, size: Int, isSigned: Bool) {
        self.location = location
        self.size = size
        self.isSigned = isSigned
    }
}

/// Why an argument string cannot be read.
public enum USDTSpecProblem: Error, Hashable, Sendable, CustomStringConvertible {
    case unsupportedMachine(Machine)
    case tooManyArguments
    /// Argument `argument` (from 0) matches no form; `text` is the rest of the string.
    case unrecognized(argument: Int, text: String)
    case unknownRegister(String)
    case unsupportedSize(Int)
    /// A scaled-index form whose scale is not 1, 2, 4 or 8.
    case unsupportedScale(Int)

    public var description: String {
        switch self {
        case let .unsupportedMachine(machine): "USDT arguments of machine \(machine) are not supported"
        case .tooManyArguments: "more than \(USDTSpec.maximumArguments) arguments"
        case let .unrecognized(argument, text): "argument \(argument) is in no known form: '\(text.prefix(64))'"
        case let .unknownRegister(name): "unknown register '\(name.prefix(32))'"
        case let .unsupportedSize(size): "argument size \(size) (1, 2, 4 or 8 bytes, negative when signed)"
        case let .unsupportedScale(scale): "index scale \(scale) (1, 2, 4 or 8)"
        }
    }
}

/// A cursor over an argument string, with sscanf's leniencies (spaces around every token).
private struct Scanner {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position >= bytes.count }

    func text(from start: Int) -> String { String(decoding: bytes[start...], as: UTF8.self) }

    mutating func skipSpaces() {
        while position < bytes.count, [0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c].contains(bytes[position]) { position += 1 }
    }

    /// `literal` after optional spaces.
    mutating func take(_ literal: UInt8) -> Bool {
        skipSpaces()
        guard position < bytes.count, bytes[position] == literal else { return false }
        position += 1
        return true
    }

    /// A decimal integer with an optional sign, after optional spaces; nil (position kept) if none or out of range.
    mutating func integer() -> Int64? {
        skipSpaces()
        var at = position, negative = false
        if at < bytes.count, bytes[at] == UInt8(ascii: "-") || bytes[at] == UInt8(ascii: "+") {
            negative = bytes[at] == UInt8(ascii: "-")
            at += 1
        }
        // Accumulated toward the sign, so that Int64.min (whose magnitude Int64 cannot hold) reads.
        var value: Int64 = 0, digits = 0
        while at < bytes.count, bytes[at] >= 0x30, bytes[at] <= 0x39 {
            let digit = Int64(bytes[at] - 0x30)
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            guard !o1, !o2 else { return nil }
            value = sum
            at += 1
            digits += 1
        }
        guard digits > 0 else { return nil }
        position = at
        return value
    }

    /// Up to 15 bytes matching `accept` (sscanf's `%15[...]` and `%15s`), after optional spaces.
    mutating func word(_ accept: (UInt8) -> Bool) -> String? {
        skipSpaces()
        let start = position
        while position < bytes.count, position - start < 15, accept(bytes[position]) { position += 1 }
        return position > start ? String(decoding: bytes[start..<position], as: UTF8.self) : nil
    }

    /// `SIZE @`, then the rest by `form`; the position is restored when the form does not match.
    mutating func argument(
        _ form: (inout Scanner) -> Result<USDTArgument.Location, USDTSpecProblem>?
    ) -> Result<USDTArgument, USDTSpecProblem>? {
        let start = position
        guard let size = integer(), take(UInt8(ascii: "@")), let location = form(&self) else {
            position = start
            return nil
        }
        guard size.magnitude <= 8, [1, 2, 4, 8].contains(Int(size.magnitude)) else {
            return .failure(.unsupportedSize(Int(clamping: size)))
        }
        let width = Int(size.magnitude)
        return location.map { USDTArgument(location: $0, size: width, isSigned: size < 0) }
    }

    /// libbpf's x86-64 forms, tried in its order: `off(%base,%index,scale)` (offset and scale
    /// optional), `off(%reg)`, `(%reg)`, `%reg`, `$const`.
    mutating func x86Argument() -> Result<USDTArgument, USDTSpecProblem>? {
        argument { scanner in
            let start = scanner.position
            let displacement = scanner.integer() ?? 0
            if scanner.take(UInt8(ascii: "(")), scanner.take(UInt8(ascii: "%")),
                let base = scanner.word({ $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: ")") }),
                scanner.take(UInt8(ascii: ",")), scanner.take(UInt8(ascii: "%")),
                let index = scanner.word({ $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: ")") })
            {
                var scale: Int64 = 1
                if scanner.take(UInt8(ascii: ",")) {
                    guard let given = scanner.integer() else { scanner.position = start; return nil }
                    scale = given
                }
                if scanner.take(UInt8(ascii: ")")) {
                    guard [1, 2, 4, 8].contains(scale) else { return .failure(.unsupportedScale(Int(clamping: scale))) }
                    return Self.x86Register(base).flatMap { b in
                        Self.x86Register(index).map { i in
                            .scaledIndex(base: b, index: i, scale: Int(scale), displacement: displacement)
                        }
                    }
                }
            }
            scanner.position = start
            if let displacement = scanner.integer(), scanner.take(UInt8(ascii: "(")), scanner.take(UInt8(ascii: "%")),
                let name = scanner.word({ $0 != UInt8(ascii: ")") }), scanner.take(UInt8(ascii: ")"))
            {
                return Self.x86Register(name).map { .memory(register: $0, displacement: displacement) }
            }
            scanner.position = start
            if scanner.take(UInt8(ascii: "(")), scanner.take(UInt8(ascii: "%")),
                let name = scanner.word({ $0 != UInt8(ascii: ")") }), scanner.take(UInt8(ascii: ")"))
            {
                return Self.x86Register(name).map { .memory(register: $0, displacement: 0) }
            }
            scanner.position = start
            if scanner.take(UInt8(ascii: "%")), let name = scanner.word({ $0 > 0x20 }) {
                return Self.x86Register(name).map { .register(offset: $0) }
            }
            scanner.position = start
            if scanner.take(UInt8(ascii: "$")), let value = scanner.integer() { return .success(.constant(value)) }
            scanner.position = start
            return nil
        }
    }

    /// libbpf's arm64 forms, in its order: `[reg, off]`, `[reg]`, `const`, `reg`.
    mutating func arm64Argument() -> Result<USDTArgument, USDTSpecProblem>? {
        func isName(_ byte: UInt8) -> Bool { (0x61...0x7a).contains(byte) || (0x30...0x39).contains(byte) }
        return argument { scanner in
            let start = scanner.position
            if scanner.take(UInt8(ascii: "[")), let name = scanner.word(isName), scanner.take(UInt8(ascii: ",")),
                let displacement = scanner.integer(), scanner.take(UInt8(ascii: "]"))
            {
                return Self.arm64Register(name).map { .memory(register: $0, displacement: displacement) }
            }
            scanner.position = start
            if scanner.take(UInt8(ascii: "[")), let name = scanner.word(isName), scanner.take(UInt8(ascii: "]")) {
                return Self.arm64Register(name).map { .memory(register: $0, displacement: 0) }
            }
            scanner.position = start
            if let value = scanner.integer() { return .success(.constant(value)) }
            if let name = scanner.word(isName) { return Self.arm64Register(name).map { .register(offset: $0) } }
            scanner.position = start
            return nil
        }
    }

    /// libbpf's s390x forms, in its order: `off(%rN)`, `%rN`, `const`.
    mutating func s390Argument() -> Result<USDTArgument, USDTSpecProblem>? {
        func register(_ scanner: inout Scanner) -> Int16? {
            guard scanner.take(UInt8(ascii: "%")), scanner.take(UInt8(ascii: "r")),
                let number = scanner.integer(), (0..<16).contains(number)
            else { return nil }
            return 16 + Int16(number) * 8  // user_pt_regs: the 16-byte psw, then gprs[16]
        }
        return argument { scanner in
            let start = scanner.position
            if let displacement = scanner.integer(), scanner.take(UInt8(ascii: "(")), let base = register(&scanner),
                scanner.take(UInt8(ascii: ")"))
            {
                return .success(.memory(register: base, displacement: displacement))
            }
            scanner.position = start
            if let offset = register(&scanner) { return .success(.register(offset: offset)) }
            scanner.position = start
            if let value = scanner.integer() { return .success(.constant(value)) }
            scanner.position = start
            return nil
        }
    }

    /// x86-64 `struct pt_regs` offsets of every name of each register (64, 32, 16 and 8 bits).
    static let x86Registers: [String: Int16] = {
        let table: [([String], Int16)] = [
            (["rip", "eip"], 128), (["rax", "eax", "ax", "al"], 80), (["rbx", "ebx", "bx", "bl"], 40),
            (["rcx", "ecx", "cx", "cl"], 88), (["rdx", "edx", "dx", "dl"], 96), (["rsi", "esi", "si", "sil"], 104),
            (["rdi", "edi", "di", "dil"], 112), (["rbp", "ebp", "bp", "bpl"], 32), (["rsp", "esp", "sp", "spl"], 152),
            (["r8", "r8d", "r8w", "r8b"], 72), (["r9", "r9d", "r9w", "r9b"], 64),
            (["r10", "r10d", "r10w", "r10b"], 56),
            (["r11", "r11d", "r11w", "r11b"], 48), (["r12", "r12d", "r12w", "r12b"], 24),
            (["r13", "r13d", "r13w", "r13b"], 16), (["r14", "r14d", "r14w", "r14b"], 8),
            (["r15", "r15d", "r15w", "r15b"], 0),
        ]
        return Dictionary(
            table.flatMap { names, offset in names.map { ($0, offset) } }, uniquingKeysWith: { a, _ in a })
    }()

    static func x86Register(_ name: String) -> Result<Int16, USDTSpecProblem> {
        x86Registers[name].map { .success($0) } ?? .failure(.unknownRegister(name))
    }

    /// arm64 `struct user_pt_regs`: `regs[31]`, then `sp`.
    static func arm64Register(_ name: String) -> Result<Int16, USDTSpecProblem> {
        if name == "sp" { return .success(31 * 8) }
        if name.hasPrefix("x"), let number = Int16(name.dropFirst()), (0..<31).contains(number), name.count <= 3 {
            return .success(number * 8)
        }
        return .failure(.unknownRegister(name))
    }
}
