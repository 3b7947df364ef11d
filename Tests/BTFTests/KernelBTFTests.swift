import BTF
import ELF64
import Foundation
import TestSupport
import Testing

/// The running kernel's BTF, when the host has it.
let vmlinuxPath = "/sys/kernel/btf/vmlinux"
let hasKernelBTF = FileManager.default.fileExists(atPath: vmlinuxPath)

@Suite(
    "Kernel BTF (/sys/kernel/btf/vmlinux)", .enabled(if: hasKernelBTF || Host.required, "this host has no kernel BTF"))
struct KernelBTFTests {
    let btf: BTF

    init() throws { btf = try BTF(contentsOfFile: vmlinuxPath) }

    @Test("every kind occurs and every type decodes")
    func everyType() throws {
        var seen = Set<Kind>()
        var id = btf.firstID
        while id < btf.endID {
            seen.insert(try btf.type(id).kind)
            id += 1
        }
        #expect(btf.ownTypeCount > 50_000)
        #expect(
            seen.isSuperset(of: [
                .int, .pointer, .array, .struct, .union, .enum, .forward, .typedef, .volatile, .const,
                .function, .functionProto, .variable, .dataSection, .float, .declTag, .enum64,
            ]))
    }

    @Test("a lookup by scan (containsType(named:kind:)) agrees with the name index, for names present and absent")
    func lookupByScan() {
        let names = [
            "bpf_get_attach_cookie", "__x64_sys_bpf", "task_struct", "pid_t", "int", "bpf_prog_type",
            "no_such_type_swiftbpf", "task_struc", "task_structx",
        ]
        for name in names {
            for kind in [Kind.function, .struct, .typedef, .int, .enum] {
                #expect(
                    btf.containsType(named: name, kind: kind) == (btf.firstTypeID(named: name, kind: kind) != nil),
                    "\(name) \(kind)")
            }
        }
        // Anonymous types have the empty name (the name index leaves them out).
        #expect(btf.containsType(named: "", kind: .pointer) && btf.containsType(named: "", kind: .struct))
    }

    @Test("struct task_struct: members and sizes")
    func taskStruct() throws {
        let ids = btf.typeIDs(named: "task_struct", kind: .struct)
        #expect(ids.count == 1)
        let task = try btf.type(try #require(ids.first))
        let names = Set(task.members.map { String($0.name) })
        #expect(names.isSuperset(of: ["pid", "tgid", "real_parent", "comm", "flags"]))
        let pid = try #require(task.members.first { $0.name == "pid" })
        #expect(try btf.type(pid.type).name == "pid_t")
        #expect(try btf.size(of: pid.type) == 4)
        let parent = try #require(task.members.first { $0.name == "real_parent" })
        let pointer = try btf.type(parent.type)
        #expect(pointer.kind == .pointer && pointer.referencedType == task.id)
        #expect(try btf.size(of: task.id) == Int(task.size))
        #expect(try btf.alignment(of: task.id) >= 8)
    }

    @Test("enum bpf_prog_type, an ENUM64, a DECL_TAG")
    func enumsAndTags() throws {
        let progType = try btf.type(try #require(btf.firstTypeID(named: "bpf_prog_type", kind: .enum)))
        let values = Dictionary(uniqueKeysWithValues: progType.enumerators.map { (String($0.name), $0.value) })
        #expect(values["BPF_PROG_TYPE_SOCKET_FILTER"] == 1)
        #expect(values["BPF_PROG_TYPE_XDP"] == 6)
        var enum64: BTFType?, kfuncTag: BTFType?
        var id = btf.firstID
        while id < btf.endID, enum64 == nil || kfuncTag == nil {
            let t = try btf.type(id)
            if t.kind == .enum64, enum64 == nil { enum64 = t }
            if t.kind == .declTag, t.name == "bpf_kfunc", kfuncTag == nil { kfuncTag = t }
            id += 1
        }
        #expect(enum64.map { $0.size == 8 && $0.vlen > 0 } == true)
        let tag = try #require(kfuncTag)
        #expect(try btf.type(tag.referencedType).kind == .function)
    }

    @Test("the name index (its names hashed by two threads) agrees with a linear scan, for every name")
    func nameIndex() throws {
        var byName: [String: [TypeID]] = [:]
        var id = btf.firstID
        while id < btf.endID {
            let t = try btf.type(id)
            if !t.name.isEmpty { byName[String(t.name), default: []].append(id) }
            id += 1
        }
        var mismatched: [String] = []
        for (name, ids) in byName where btf.typeIDs(named: name) != ids { mismatched.append(name) }
        #expect(byName.count > 50_000 && mismatched.isEmpty, "\(mismatched.prefix(10))")
    }

    @Test(
        "raw dump equals bpftool's, byte for byte",
        .enabled(if: Host.find("bpftool") != nil || Host.required, "bpftool is not installed"))
    func bpftoolRaw() throws {
        let bpftool = try #require(Host.find("bpftool"), "bpftool must be installed (CI installs it)")
        let (expected, status) = try Host.run(bpftool, ["btf", "dump", "file", vmlinuxPath, "format", "raw"])
        #expect(status == 0)
        var ours = ""
        ours.reserveCapacity(expected.count)
        try btf.dumpRaw(to: &ours)
        #expect(ours.utf8.count == expected.count)
        #expect(Data(ours.utf8) == expected)
    }
}
