import BTF
import ELF64
import Foundation
import TestSupport
import Testing

/// Compiles C for the BPF target with the toolchain's clang.
enum BPFCompiler {
    static let clang = Host.find("clang")
    static let helpers = FileManager.default.fileExists(atPath: "/usr/include/bpf/bpf_helpers.h")

    /// Compiles `source` with `-I includeDir`; returns clang's diagnostics when it fails, nil on success.
    static func compile(_ source: String, include: String) throws -> String? {
        let output = include + "/out.o"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(clang))
        process.arguments = ["-target", "bpf", "-O2", "-g", "-Werror", "-I", include, "-c", source, "-o", output]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 ? nil : text
    }
}

@Suite(
    "C header dump (vmlinux.h)",
    .enabled(
        if: (hasKernelBTF && BPFCompiler.clang != nil && BPFCompiler.helpers) || Host.required,
        "needs /sys/kernel/btf/vmlinux, clang and libbpf-dev's bpf_helpers.h"))
struct CHeaderTests {
    let btf: BTF
    let dir: String

    init() throws {
        btf = try BTF(contentsOfFile: vmlinuxPath)
        dir = NSTemporaryDirectory() + "swiftbpf-vmlinux-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var header = ""
        try btf.dumpC(to: &header)
        try header.write(toFile: dir + "/vmlinux.h", atomically: false, encoding: .utf8)
    }

    @Test("a TestData CO-RE program compiles against the generated header, with -Werror")
    func testDataProgramCompiles() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let diagnostics = try BPFCompiler.compile(TestPaths.testData + "/src/task_info.bpf.c", include: dir)
        #expect(diagnostics == nil, "\(diagnostics ?? "")")
    }

    @Test("every uniquely named struct and union has the recorded size and member offsets")
    func layoutsMatch() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var counts: [String: Int] = [:]
        var aggregates: [BTFType] = []
        var id = btf.firstID
        while id < btf.endID {
            let t = try btf.type(id)
            if t.kind == .struct || t.kind == .union || t.kind == .enum || t.kind == .enum64, !t.name.isEmpty {
                counts[String(t.name), default: 0] += 1
                if t.kind == .struct || t.kind == .union { aggregates.append(t) }
            }
            id += 1
        }
        var checks = ["#include \"vmlinux.h\""]
        var checked = 0
        for t in aggregates where counts[String(t.name)] == 1 {
            // va_list is the compiler's own type, 8 bytes for BPF but 24 in an x86 kernel (bpftool's header shares this).
            guard try !holdsVaList(t.id, depth: 0) else { continue }
            let tag = "\(t.kind == .union ? "union" : "struct") \(t.name)"
            checks.append("_Static_assert(sizeof(\(tag)) == \(t.size), \"size of \(t.name)\");")
            for m in t.members where !m.name.isEmpty && m.bitfieldSize == 0 && m.bitOffset % 8 == 0 {
                checks.append(
                    "_Static_assert(__builtin_offsetof(\(tag), \(m.name)) == \(m.bitOffset / 8), \"\(t.name).\(m.name)\");"
                )
            }
            checked += 1
        }
        #expect(checked > 5000)
        try checks.joined(separator: "\n").write(toFile: dir + "/layout.c", atomically: false, encoding: .utf8)
        let diagnostics = try BPFCompiler.compile(dir + "/layout.c", include: dir)
        #expect(diagnostics == nil, "\(diagnostics.map { String($0.prefix(4000)) } ?? "")")
    }

    /// Whether a type holds `__builtin_va_list` by value.
    private func holdsVaList(_ id: TypeID, depth: Int) throws -> Bool {
        guard id != 0, depth < 64 else { return false }
        let t = try btf.type(id)
        switch t.kind {
        case .typedef:
            return try String(t.name) == "__builtin_va_list" || holdsVaList(t.referencedType, depth: depth + 1)
        case .const, .volatile, .restrict, .typeTag: return try holdsVaList(t.referencedType, depth: depth + 1)
        case .array: return try holdsVaList(t.arrayInfo.element, depth: depth + 1)
        case .struct, .union: return try t.members.contains { try holdsVaList($0.type, depth: depth + 1) }
        default: return false
        }
    }
}
