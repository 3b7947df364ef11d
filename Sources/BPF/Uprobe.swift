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
        do {
            let file = try ELFFile(try ByteStorage(contentsOfFile: binary))
            var tables: [SymbolTable] = []
            if let table = try file.symbolTable() { tables.append(table) }
            if let dynamic = file.firstSection(ofType: .dynsym) { tables.append(try file.symbols(in: dynamic)) }
            for table in tables {
                for entry in table where entry.type == .function && entry.name == symbol {
                    guard let index = entry.section.sectionIndex, index < file.sections.count else { continue }
                    let section = file.sections[index]
                    // A section with bytes in the file lies inside it (checked on open): the sum cannot overflow.
                    guard section.hasFileData, entry.value >= section.address,
                        entry.value - section.address < section.size
                    else { continue }
                    return entry.value - section.address + section.offset
                }
            }
        } catch {
            throw .target(.binary(path: binary, error: "\(error)"))
        }
        throw .target(.noFunction(symbol, binary: binary))
    }

    /// The `uprobe` PMU's type number from sysfs.
    static func uprobePMUType() throws(AttachError) -> UInt32 {
        guard let storage = try? ByteStorage(contentsOfFile: "/sys/bus/event_source/devices/uprobe/type"),
            let type = UInt32(storage.text.filter(\.isNumber))
        else { throw .unsupported(.uprobes) }
        return type
    }
}
