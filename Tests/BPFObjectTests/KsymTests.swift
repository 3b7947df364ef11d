import BPFObject
import BTF
import ELF64
import Foundation
import TestSupport
import Testing

@Suite(
    "__ksym externs",
    .enabled(if: FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") || Host.required, "no kernel BTF"))
struct KsymTests {
    static let recordedKallsyms = """
        ffffffff81000000 T _stext
        ffffffff82a4c000 D bpf_init
        0000000000026a40 d bpf_prog_active
        ffffffffc0a01000 t helper_in_module\t[nf_tables]
        0000000000000000 T hidden_symbol
        """

    @Test("kallsyms text: addresses by name; zero addresses count as hidden")
    func kallsyms() {
        let symbols = KernelSymbols(text: Self.recordedKallsyms)
        #expect(symbols.address(of: "bpf_init") == 0xffff_ffff_82a4_c000)
        #expect(symbols.address(of: "helper_in_module") == 0xffff_ffff_c0a0_1000)
        #expect(symbols.address(of: "hidden_symbol") == nil && symbols.address(of: "absent") == nil)
    }

    @Test("variables resolve through BTF (typed) and a recorded kallsyms (typeless)")
    func variables() throws {
        let vmlinux = try BTF(contentsOfFile: "/sys/kernel/btf/vmlinux")
        let spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/ksym_variables.bpfel.o")
        #expect(spec.ksymExterns.map(\.kind).sorted { "\($0)" < "\($1)" } == [.typedVariable, .typelessVariable])
        let values = try spec.ksymValues(targets: [vmlinux], kallsyms: KernelSymbols(text: Self.recordedKallsyms))
        let active = try #require(vmlinux.firstTypeID(named: "bpf_prog_active", kind: .variable))
        #expect(values["bpf_prog_active"] == .btf(id: active, btfIndex: 0))
        #expect(values["bpf_init"] == .address(0xffff_ffff_82a4_c000))
        // Without the symbol in kallsyms, a strong typeless extern is an error naming it.
        do {
            _ = try spec.ksymValues(targets: [vmlinux], kallsyms: KernelSymbols(text: ""))
            Issue.record("resolved without kallsyms")
        } catch {
            #expect("\(error)".contains("bpf_init") && "\(error)".contains("/proc/kallsyms"))
        }
        var linked = try Linker.link(spec, program: "read_kernel_variables")
        try linked.apply(ksyms: values)
        let uses = linked.externUses
        #expect(uses.count == 2)
        for use in uses {
            let insn = linked.instructions[use.instruction]
            if use.name == "bpf_prog_active" {
                #expect(insn.source == PseudoSource.btfID && insn.immediate == Int32(active))
            } else {
                #expect(
                    insn.source == 0 && UInt32(bitPattern: insn.immediate) == 0x82a4_c000
                        && linked.instructions[use.instruction + 1].immediate == -1)
            }
        }
    }

    @Test("kfuncs resolve to BTF ids; a missing weak one is 0 where tested and poisoned where called")
    func kfuncs() throws {
        let vmlinux = try BTF(contentsOfFile: "/sys/kernel/btf/vmlinux")
        let spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/ksym.bpfel.o")
        let values = try spec.ksymValues(targets: [vmlinux], kallsyms: nil)
        let acquire = try #require(vmlinux.firstTypeID(named: "bpf_task_acquire", kind: .function))
        #expect(values["bpf_task_acquire"] == .btf(id: acquire, btfIndex: 0))
        #expect(values["swiftbpf_no_such_kfunc"] == .missing)
        var linked = try Linker.link(spec, program: "acquire_release")
        try linked.apply(ksyms: values)
        for use in linked.externUses {
            let insn = linked.instructions[use.instruction]
            switch (use.name, insn.isCall) {
            case ("bpf_task_acquire", true):
                #expect(insn.source == PseudoSource.kfuncCall && insn.immediate == Int32(acquire))
            case ("swiftbpf_no_such_kfunc", true):
                #expect(insn == Instruction(opcode: 0x85, immediate: CORE.poisonHelper))
            case ("swiftbpf_no_such_kfunc", false): #expect(insn.immediate == 0 && insn.source == 0)
            default: break
            }
        }
        #expect(
            Set(linked.externUses.map(\.name)) == ["bpf_task_acquire", "bpf_task_release", "swiftbpf_no_such_kfunc"])
    }

    @Test(
        "kfuncs and variables of modules get fd_array slots: calls name their slot, variable loads wait for the module's fd"
    )
    func moduleKsyms() throws {
        let spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/ksym.bpfel.o")
        var linked = try Linker.link(spec, program: "acquire_release")
        // As if bpf_task_acquire lived in target 2 (a module) and bpf_task_release in target 5.
        try linked.apply(ksyms: [
            "bpf_task_acquire": .btf(id: 70, btfIndex: 2), "bpf_task_release": .btf(id: 71, btfIndex: 5),
            "swiftbpf_no_such_kfunc": .missing,
        ])
        #expect(linked.moduleBTFs == [2, 5])
        for use in linked.externUses
        where linked.instructions[use.instruction].isCall && use.name != "swiftbpf_no_such_kfunc" {
            let insn = linked.instructions[use.instruction]
            #expect(insn.source == PseudoSource.kfuncCall)
            #expect(insn.offset == (use.name == "bpf_task_acquire" ? 1 : 2))
            #expect(insn.immediate == (use.name == "bpf_task_acquire" ? 70 : 71))
        }

        let variables = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/ksym_variables.bpfel.o")
        var reading = try Linker.link(variables, program: "read_kernel_variables")
        try reading.apply(ksyms: ["bpf_prog_active": .btf(id: 9, btfIndex: 3), "bpf_init": .address(0x1000)])
        let use = try #require(reading.externUses.first { $0.name == "bpf_prog_active" })
        #expect(reading.moduleVariableLoads.map(\.instruction) == [use.instruction])
        #expect(reading.moduleBTFs.isEmpty)  // variables need no slot: the fd goes in the instruction
        reading.setModuleBTFDescriptor(42, forModule: 3)
        #expect(
            reading.instructions[use.instruction].source == PseudoSource.btfID
                && reading.instructions[use.instruction].immediate == 9)
        #expect(reading.instructions[use.instruction + 1].immediate == 42)
    }

    @Test("an extern ld_imm64 without its second half (the function's last instruction) is a typed error on open")
    func truncatedExternLoad() throws {
        // ksym_variables.bpfel.o with its last instruction (exit) made the first half of an
        // ld_imm64 and its third relocation moved there, against bpf_prog_active.
        var bytes = Array(
            try Data(contentsOf: URL(fileURLWithPath: TestPaths.testData + "/obj/ksym_variables.bpfel.o")))
        let (code, relocations, symbol) = try bytes.withUnsafeBytes { raw in
            let elf = try ELFFile(unsafeBytes: raw)
            let code = try #require(elf.section(named: "raw_tp/sys_enter"))
            let relocations = try #require(elf.section(named: ".relraw_tp/sys_enter"))
            let symbols = try #require(try elf.symbolTable())
            let symbol = try #require(symbols.first { $0.name == "bpf_prog_active" })
            return (code, relocations, symbol)
        }
        let last = Int(code.size) - Instruction.size
        bytes[Int(code.offset) + last] = 0x18
        let entry = Int(relocations.offset) + 2 * 16  // Elf64_Rel: r_offset, then r_info (symbol << 32 | type)
        withUnsafeBytes(of: UInt64(last).littleEndian) { for (i, b) in $0.enumerated() { bytes[entry + i] = b } }
        withUnsafeBytes(of: (UInt64(symbol.index) << 32 | 1).littleEndian) {
            for (i, b) in $0.enumerated() { bytes[entry + 8 + i] = b }
        }
        #expect(throws: ObjectError.self) {
            try ObjectSpec(elf: ELFFile(ByteStorage(copying: bytes)), name: "ksym_variables")
        }
    }
}
