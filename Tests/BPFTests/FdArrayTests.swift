import BPF
import BPFObject
import BTF
import Glibc
import TestSupport
import Testing

extension KernelTests {
    @Suite("fd_array and module BTF on this kernel", kernelTrait)
    struct FdArrayTests {
        /// `r0 = 0; exit`, the tail of every test program.
        static let returnZero = [Instruction(opcode: 0xb7), Instruction(opcode: 0x95)]

        @Test("kernel BTF objects are found by name: vmlinux is, an unknown module is not")
        func kernelBTFByName() throws {
            guard let fd = try KernelBTFObject.open(named: "vmlinux") else {
                Issue.record("no kernel BTF object named vmlinux")
                return
            }
            #expect(try KernelBTFObject.kernelName(of: fd) == "vmlinux")
            let missing = try KernelBTFObject.open(named: "swiftbpf_no_such_module")?.release()
            #expect(missing == nil)
            if let missing { close(missing) }
        }

        @Test("a map named by its fd_array index (BPF_PSEUDO_MAP_IDX) is the program's map")
        func mapByIndex() throws {
            let map = try Map.create(
                MapAttributes(type: .array, keySize: 4, valueSize: 4, maxEntries: 1, name: "fd_array_map"))
            let load = Instruction(opcode: 0x18, destination: 1, source: PseudoSource.mapIndex, immediate: 1)
            var attributes = ProgramAttributes(
                type: .socketFilter, instructions: [load, Instruction(opcode: 0)] + Self.returnZero, license: "GPL")
            attributes.fdArray = [-1, map.descriptor.rawValue]
            let program = try ProgramCommands.load(attributes)
            let info = try ProgramInfo(of: program)
            #expect(info.mapIDs == [try map.info().id])
        }

        @Test("a kfunc call's offset names its fd_array slot: the verifier reads that slot as a module's BTF")
        func kfuncSlot() throws {
            // This kernel has no modules, so the slot holds vmlinux's BTF, which the verifier
            // must refuse as a module BTF: proof that the offset and fd_array reach it.
            let vmlinux = try BTF(contentsOfFile: "/sys/kernel/btf/vmlinux")
            let acquire = try #require(vmlinux.firstTypeID(named: "bpf_task_acquire", kind: .function))
            guard let btf = try KernelBTFObject.open(named: "vmlinux") else {
                Issue.record("no kernel BTF object named vmlinux")
                return
            }
            let call = Instruction(
                opcode: 0x85, source: PseudoSource.kfuncCall, offset: 1, immediate: Int32(bitPattern: acquire))
            var attributes = ProgramAttributes(
                type: .socketFilter, instructions: [call] + Self.returnZero, license: "GPL")
            attributes.fdArray = [-1, btf.rawValue]
            #expect {
                _ = try ProgramCommands.load(attributes)
            } throws: { error in
                (error as? ProgramLoadError)?.log.contains("not a module BTF") == true
            }
        }
    }
}
