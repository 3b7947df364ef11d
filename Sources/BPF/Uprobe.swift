import ELF64
import Glibc

extension Attach {
    /// A uprobe (or, with `returnProbe`, a uretprobe) at byte `offset` of the file `binary`,
    /// in process `pid` or every process (-1), through the `uprobe` PMU and a BPF link. A nonzero
    /// `referenceCounterOffset` (a USDT semaphore's file offset) is incremented while the probe is
    /// attached; `cookie` is what the program's `bpf_get_attach_cookie()` returns.
    public static func uprobe(
        program: borrowing FileDescriptor, binary: String, offset: UInt64, returnProbe: Bool = false, pid: Int32 = -1,
        referenceCounterOffset: UInt64 = 0, cookie: UInt64 = 0
    ) throws(AttachError) -> Link {
        let type = try Self.uprobePMUType()
        // The uprobe PMU's config: bit 0 asks for a return probe, bits 32-63 hold the reference counter's offset.
        guard referenceCounterOffset >> 32 == 0 else {
            throw .target(.binary(path: binary, error: "semaphore offset \(referenceCounterOffset) past 4 GiB"))
        }
        let config = (returnProbe ? 1 : 0) | referenceCounterOffset << 32
        // The kernel reads the path during perf_event_open only.
        let opened = try binary.withKernelString { (path) throws(AttachError) in
            try PerfEvent.open(
                type: type, config: config, config1: kernelAddress(path), config2: offset,
                pid: pid, what: "\(returnProbe ? "uretprobe" : "uprobe") \(binary)+\(offset)"
            ).release()
        }
        let event: FileDescriptor
        do { event = try FileDescriptor(owning: opened) } catch { throw .system(error) }  // not 0: already owned once
        return try PerfEvent.attach(program: program.rawValue, to: event, cookie: cookie)
    }

    /// A uprobe on the function `symbol` of the ELF file `binary` (its `.symtab`, else `.dynsym`).
    public static func uprobe(
        program: borrowing FileDescriptor, binary: String, symbol: String, returnProbe: Bool = false, pid: Int32 = -1
    ) throws(AttachError) -> Link {
        let offset = try fileOffset(of: symbol, in: binary)
        return try uprobe(program: program, binary: binary, offset: offset, returnProbe: returnProbe, pid: pid)
    }

    /// Where a function's code starts in its file: its address, less the address of its section,
    /// plus the section's file offset.
    public static func fileOffset(of symbol: String, in binary: String) throws(AttachError) -> UInt64 {
        try fileOffsets(of: [symbol], in: binary)[0]
    }

    /// The file offsets of several functions of `binary`, its symbol tables read once (`.symtab`
    /// first, then `.dynsym`).
    public static func fileOffsets(of symbols: [String], in binary: String) throws(AttachError) -> [UInt64] {
        var wanted = Dictionary(symbols.map { ($0, UInt64?.none) }, uniquingKeysWith: { a, _ in a })
        do {
            let (file, tables) = try functionTables(of: binary)
            for table in tables {
                for entry in table where entry.type == .function {
                    let name = String(entry.name)
                    guard let known = wanted[name], known == nil else { continue }
                    guard let index = entry.section.sectionIndex, index < file.sections.count else { continue }
                    let section = file.sections[index]
                    // A section with bytes in the file lies inside it (checked on open): the sum cannot overflow.
                    guard section.hasFileData, entry.value >= section.address,
                        entry.value - section.address < section.size
                    else { continue }
                    wanted[name] = entry.value - section.address + section.offset
                }
            }
        } catch {
            throw .target(.binary(path: binary, error: "\(error)"))
        }
        return try symbols.map { symbol throws(AttachError) in
            guard let offset = wanted[symbol] ?? nil else { throw .target(.noFunction(symbol, binary: binary)) }
            return offset
        }
    }

    /// A `uprobe.multi` link (Linux 6.6): `program` (loaded for it: `SEC("uprobe.multi…")`, or a
    /// USDT program the loader prepared so) probing each of `offsets` of `binary` in one link, each
    /// with its cookie (`bpf_get_attach_cookie()`; empty: 0) and reference counter (a USDT
    /// semaphore's offset; empty: none); with `returnProbe`, on return. Arrays other than `offsets`
    /// are empty or as long.
    public static func uprobeMulti(
        program: borrowing FileDescriptor, binary: String, offsets: [UInt64], cookies: [UInt64] = [],
        referenceCounterOffsets: [UInt64] = [], returnProbe: Bool = false, pid: Int32 = -1
    ) throws(AttachError) -> Link {
        do {
            return Link(
                try LinkCommands.createUprobeMulti(
                    program: program.rawValue, path: binary, offsets: offsets,
                    referenceCounterOffsets: referenceCounterOffsets, cookies: cookies, returnProbe: returnProbe,
                    pid: pid))
        } catch {
            throw .system(error)
        }
    }

    /// A `uprobe.multi` link on functions of `binary` by name, each with its cookie (empty: 0).
    public static func uprobeMulti(
        program: borrowing FileDescriptor, binary: String, symbols: [String], cookies: [UInt64] = [],
        returnProbe: Bool = false, pid: Int32 = -1
    ) throws(AttachError) -> Link {
        try uprobeMulti(
            program: program, binary: binary, offsets: try fileOffsets(of: symbols, in: binary), cookies: cookies,
            returnProbe: returnProbe, pid: pid)
    }

    /// The functions of `binary` (`.symtab`, then `.dynsym`) whose names match the glob `pattern`
    /// (`fnmatch`: `*`, `?`, `[…]`), each once, in table order.
    public static func functions(matching pattern: String, in binary: String) throws(AttachError) -> [String] {
        var names: [String] = []
        var seen: Set<String> = []
        do {
            for table in try functionTables(of: binary).tables {
                for entry in table where entry.type == .function && entry.section.sectionIndex != nil {
                    let name = String(entry.name)
                    guard !name.isEmpty, fnmatch(pattern, name, 0) == 0, seen.insert(name).inserted else { continue }
                    names.append(name)
                }
            }
        } catch {
            throw .target(.binary(path: binary, error: "\(error)"))
        }
        guard !names.isEmpty else { throw .target(.noFunction(pattern, binary: binary)) }
        return names
    }

    /// `binary` read, with its symbol tables where functions are looked up: `.symtab`, then `.dynsym`.
    private static func functionTables(of binary: String) throws -> (file: ELFFile, tables: [SymbolTable]) {
        let file = try ELFFile(try ByteStorage(contentsOfFile: binary))
        var tables: [SymbolTable] = []
        if let table = try file.symbolTable() { tables.append(table) }
        if let dynamic = file.firstSection(ofType: .dynsym) { tables.append(try file.symbols(in: dynamic)) }
        return (file, tables)
    }

    /// The `uprobe` PMU's type number from sysfs.
    static func uprobePMUType() throws(AttachError) -> UInt32 {
        guard let storage = try? ByteStorage(contentsOfFile: "/sys/bus/event_source/devices/uprobe/type"),
            let type = UInt32(storage.text.filter(\.isNumber))
        else { throw .unsupported(.uprobes) }
        return type
    }
}
