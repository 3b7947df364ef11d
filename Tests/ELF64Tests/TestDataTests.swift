import ELF64
import Foundation
import TestSupport
import Testing

/// A byte-order-free summary of a file: what both builds of one source must share.
struct LogicalContent: Equatable {
    var sections: [String] = []
    var symbols: [String] = []
    var relocations: [String] = []

    init(_ file: ELFFile) throws {
        for s in file.sections {
            sections.append(
                "\(s.name) \(s.type) \(s.flags) size=\(s.size) link=\(s.link) info=\(s.info) align=\(s.alignment) es=\(s.entrySize)"
            )
        }
        for s in try #require(try file.symbolTable()) {
            symbols.append(
                "\(s.name) \(s.type) \(s.binding) \(s.visibility) \(s.section) value=\(s.value) size=\(s.size)")
        }
        for section in file.relocationSections {
            for r in try file.relocations(in: section) {
                relocations.append("\(section.name) off=\(r.offset) sym=\(r.symbolIndex) type=\(r.type)")
            }
        }
    }
}

@Suite("TestData objects")
struct TestDataTests {
    @Test("the committed objects are there, in both byte orders")
    func present() {
        let objects = TestPaths.testDataObjects
        #expect(objects.count >= 4)
        #expect(objects.filter { $0.hasSuffix(".bpfeb.o") }.count == objects.filter { $0.hasSuffix(".bpfel.o") }.count)
    }

    /// core.bpf.c reads a bitfield with a macro whose code depends on the byte order; for
    /// netcount.bpf.c's packet parsing clang writes one line_info record more in big-endian;
    /// usdt.bpf.c includes libbpf's usdt.bpf.h, whose argument reads differ by byte order.
    static let orderIndependent = TestPaths.testDataObjects.filter {
        $0.hasSuffix(".bpfel.o") && !$0.hasSuffix("/core.bpfel.o") && !$0.hasSuffix("/netcount.bpfel.o")
            && !$0.hasSuffix("/usdt.bpfel.o")
    }

    /// The first place two listings differ, for a short failure message.
    static func firstDifference(_ a: [String], _ b: [String]) -> String {
        guard let i = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset else {
            return "lengths \(a.count) and \(b.count)"
        }
        return "entry \(i): '\(a[i])' vs '\(b[i])'"
    }

    @Test("little- and big-endian builds of one source have the same logical content", arguments: orderIndependent)
    func byteOrders(little: String) throws {
        let big = little.replacingOccurrences(of: ".bpfel.o", with: ".bpfeb.o")
        let el = try ELFFile(ByteStorage(contentsOfFile: little))
        let eb = try ELFFile(ByteStorage(contentsOfFile: big))
        #expect(el.byteOrder == .little && eb.byteOrder == .big)
        #expect(el.header.machine == .bpf && eb.header.machine == .bpf)
        let a = try LogicalContent(el), b = try LogicalContent(eb)
        #expect(a.sections == b.sections, "\(Self.firstDifference(a.sections, b.sections))")
        #expect(a.symbols == b.symbols, "\(Self.firstDifference(a.symbols, b.symbols))")
        #expect(a.relocations == b.relocations, "\(Self.firstDifference(a.relocations, b.relocations))")
        #expect(!a.relocations.isEmpty)
    }

    @Test("multi.bpf.c: programs, maps, global data and calls are where clang put them")
    func multiLayout() throws {
        let file = try ELFFile(ByteStorage(contentsOfFile: TestPaths.testData + "/obj/multi.bpfel.o"))
        for name in [
            "socket", "xdp", "tracepoint/syscalls/sys_enter_openat", "tc", ".text", ".maps",
            ".data", ".rodata", ".bss", ".data.custom", "license", ".BTF", ".BTF.ext",
        ] {
            #expect(file.section(named: name) != nil, "missing section \(name)")
        }
        let symbols = try #require(try file.symbolTable())
        let functions = symbols.filter { $0.type == .function }.map { String($0.name) }.sorted()
        #expect(
            functions == [
                "bump", "count_packets", "oversized", "tc_ingress", "trace_openat", "xdp_drop_large", "xdp_pass",
            ])
        let xdp = try #require(file.section(named: "xdp"))
        #expect(symbols.filter { $0.type == .function && $0.section == .index(xdp.index) }.count == 2)
        // BPF-to-BPF calls are R_BPF_64_32 relocations against .text.
        let calls = try file.relocations(in: try #require(file.section(named: ".relsocket")))
            .filter { $0.type == BPFRelocationType.r64_32.rawValue }
        #expect(!calls.isEmpty)
        #expect(calls.allSatisfy { symbols[$0.symbolIndex].section == .index(file.section(named: ".text")!.index) })
    }
}

@Suite("Byte owners")
struct ByteStorageTests {
    @Test("mmap of a regular file and of kernel BTF")
    func mapped() throws {
        let storage = try ByteStorage(contentsOfFile: TestPaths.testData + "/obj/minimal.bpfel.o")
        #expect(Array(storage.bytes.prefix(4)) == [0x7f, 0x45, 0x4c, 0x46])
        if FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") {
            let btf = try ByteStorage(contentsOfFile: "/sys/kernel/btf/vmlinux")
            #expect(btf.bytes.count > 1000 && btf.bytes[0] == 0x9f && btf.bytes[1] == 0xeb)
        }
    }

    @Test("read() fallback for files that report size 0")
    func readFallback() throws {
        let storage = try ByteStorage(contentsOfFile: "/proc/self/status")
        let text = String(decoding: storage.bytes, as: UTF8.self)
        #expect(text.hasPrefix("Name:"))
    }

    @Test("a missing file is a SystemError naming the call and path")
    func missing() {
        #expect(throws: SystemError(call: "open", path: "/nonexistent/x.o", errno: ENOENT)) {
            try ByteStorage(contentsOfFile: "/nonexistent/x.o")
        }
    }

    @Test("copied bytes are owned and readable")
    func copied() throws {
        let storage = ByteStorage(copying: SampleELF(order: .big).bytes)
        let file = try ELFFile(storage)
        #expect(file.byteOrder == .big && file.storage === storage)
    }
}
