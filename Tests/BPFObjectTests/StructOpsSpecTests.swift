import BPFObject
import BTF
import ELF64
import Glibc
import TestSupport
import Testing

private let vmlinux = "/sys/kernel/btf/vmlinux"

@Suite("struct_ops maps in the spec")
struct StructOpsSpecTests {
    @Test(
        "tcp_cc.bpf.c: one map per variable, link flag by section, members bound to programs",
        arguments: ["bpfel", "bpfeb"])
    func maps(_ order: String) throws {
        let s = try spec("tcp_cc.\(order).o")
        let link = try #require(s.map(named: "swift_cc"))
        #expect(link.type == .structOps && link.keySize == 4 && link.maxEntries == 1 && link.flags == MapFlag.link)
        #expect(link.origin == .structOps(section: ".struct_ops.link") && link.autoCreate)
        let ops = try #require(link.structOps)
        #expect(ops.typeName == "tcp_congestion_ops" && ops.data.count == Int(link.valueSize))
        #expect(
            ops.functions.map { "\($0.member)@\($0.offset)=\($0.program)" }
                == [
                    "ssthresh@0=swift_ssthresh", "cong_avoid@8=swift_cong_avoid", "undo_cwnd@64=swift_undo_cwnd",
                    "init@136=swift_init",
                ])
        let plain = try #require(s.map(named: "swift_cc_map"))
        #expect(plain.flags == 0 && plain.origin == .structOps(section: ".struct_ops"))
        #expect(plain.structOps?.functions.map(\.program) == ["swift_ssthresh", "swift_cong_avoid", "swift_undo_cwnd"])
        #expect(s.isUsedByStructOps("swift_init") && !s.isUsedByStructOps("unused_op"))
        #expect(s.program(named: "unused_op")?.kind?.programType == .structOps)
        #expect(s.unknownSections.isEmpty)
    }

    @Test(
        "laid out against this kernel's BTF: wrapper type, data at the kernel's offsets, programs at their member index",
        .enabled(if: access(vmlinux, R_OK) == 0 || Host.required, "no kernel BTF at \(vmlinux)"))
    func layout() throws {
        let s = try spec("tcp_cc.bpfel.o")
        let kernel = try BTF(contentsOfFile: vmlinux)
        let layout = try s.structOpsLayout(of: try #require(s.map(named: "swift_cc")), kernel: kernel)
        #expect(try kernel.type(layout.kernelTypeID).name == "tcp_congestion_ops")
        let wrapper = try kernel.type(layout.valueTypeID)
        #expect(wrapper.name == "bpf_struct_ops_tcp_congestion_ops" && layout.value.count == Int(wrapper.size))
        let data = try #require(wrapper.members.first { $0.type == layout.kernelTypeID })
        let members = Array(try kernel.type(layout.kernelTypeID).members)
        let expected = [
            "ssthresh": "swift_ssthresh", "cong_avoid": "swift_cong_avoid", "undo_cwnd": "swift_undo_cwnd",
            "init": "swift_init",
        ]
        #expect(layout.slots.count == expected.count)
        for slot in layout.slots {
            let member = members[Int(slot.memberIndex)]
            #expect(expected[String(member.name)] == slot.program)
            #expect(slot.valueOffset == Int(data.bitOffset + member.bitOffset) / 8)
            #expect(layout.value[slot.valueOffset..<slot.valueOffset + 8].allSatisfy { $0 == 0 })
        }
        let name = try #require(members.first { $0.name == "name" })
        let nameOffset = Int(data.bitOffset + name.bitOffset) / 8
        #expect(Array(layout.value[nameOffset..<nameOffset + 12]) == Array("swiftbpf_cc".utf8) + [0])
    }

    @Test(
        "a kernel without the struct, or whose struct lacks a member the object sets: typed errors naming both",
        .enabled(if: access(vmlinux, R_OK) == 0 || Host.required, "no kernel BTF at \(vmlinux)"))
    func mismatches() throws {
        let s = try spec("tcp_cc.bpfel.o")
        let kernel = try BTF(contentsOfFile: vmlinux)
        var map = try #require(s.map(named: "swift_cc"))
        map.structOps?.typeName = "no_such_ops"
        #expect { try s.structOpsLayout(of: map, kernel: kernel) } throws: { "\($0)".contains("no struct no_such_ops") }
        map.structOps?.typeName = "bpf_dummy_ops"
        #expect { try s.structOpsLayout(of: map, kernel: kernel) } throws: {
            "\($0)".contains("map 'swift_cc'") && "\($0)".contains("member 'ssthresh' is set")
                && "\($0)".contains("bpf_dummy_ops")
        }
        let counter = try #require(try spec("counter.bpfel.o").maps.first)
        #expect(throws: ObjectError.self) { try s.structOpsLayout(of: counter, kernel: kernel) }
    }

    @Test(
        "a hostile BTF file given as the kernel's: a member past the wrapper, a wrapper of gigabytes — typed errors, no trap",
        arguments: [
            (UInt32(16), UInt32(8000), "lies outside the 16-byte"),
            (0xFFFF_FFF0, 0, "more than a struct_ops value can be"),
        ])
    func hostileKernelBTF(wrapperSize: UInt32, memberBitOffset: UInt32, message: String) throws {
        let s = try spec("tcp_cc.bpfel.o")
        var builder = BTFBuilder()
        let proto = builder.add(TypeRecord(kind: .functionProto, sizeOrType: 0))
        let pointer = builder.add(.pointer(to: proto))
        let ops = builder.add(
            .aggregate(.struct, "tcp_congestion_ops", size: 8, members: [("ssthresh", pointer, memberBitOffset)]))
        _ = builder.add(
            .aggregate(.struct, "bpf_struct_ops_tcp_congestion_ops", size: wrapperSize, members: [("data", ops, 0)]))
        try builder.encode().withUnsafeBytes { raw in
            let kernel = try BTF(unsafeBytes: raw)
            #expect { try s.structOpsLayout(of: try #require(s.map(named: "swift_cc")), kernel: kernel) } throws: {
                "\($0)".contains(message)
            }
        }
    }

    @Test(
        "sched_ext's example (../shared/corpus, when present): read; this kernel has no sched_ext_ops",
        .enabled(if: access(vmlinux, R_OK) == 0 || Host.required, "no kernel BTF at \(vmlinux)"))
    func schedExt() throws {
        let path = TestPaths.corpus + "/cilium-ebpf/examples/sched_ext/bpf_bpfel.o"
        if let missing = Host.missing("../shared/corpus", present: access(path, R_OK) == 0) {
            Issue.record(Comment(rawValue: missing))
        }
        guard access(path, R_OK) == 0 else { return }
        let s = try ObjectSpec(contentsOfFile: path)
        let map = try #require(s.maps.first { $0.type == .structOps })
        #expect(map.structOps?.typeName == "sched_ext_ops" && map.flags == MapFlag.link)
        let kernel = try BTF(contentsOfFile: vmlinux)
        #expect { try s.structOpsLayout(of: map, kernel: kernel) } throws: {
            "\($0)".contains("no struct sched_ext_ops")
        }
    }
}
