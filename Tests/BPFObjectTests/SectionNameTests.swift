import BPFObject
import Testing

@Suite("Section names → program kinds (libbpf's table)")
struct SectionNameTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let section: String
        let type: ProgramType?
        let attach: AttachType?
        let target: String?
        let flags: SectionFlags
        let legacy: Bool
        var testDescription: String { section }
    }

    static let cases: [Case] = [
        Case(section: "socket", type: .socketFilter, attach: nil, target: nil, flags: [], legacy: false),
        Case(
            section: "kprobe/do_unlinkat", type: .kprobe, attach: nil, target: "do_unlinkat", flags: [], legacy: false),
        Case(section: "kprobe", type: .kprobe, attach: nil, target: nil, flags: [], legacy: false),
        Case(
            section: "uprobe.s/binary:func", type: .kprobe, attach: nil, target: "binary:func", flags: [.sleepable],
            legacy: false),
        Case(
            section: "kprobe.multi/tcp_*", type: .kprobe, attach: .traceKprobeMulti, target: "tcp_*", flags: [],
            legacy: false),
        Case(
            section: "tracepoint/syscalls/sys_enter_openat", type: .tracepoint, attach: nil,
            target: "syscalls/sys_enter_openat", flags: [], legacy: false),
        Case(
            section: "tp/sched/sched_switch", type: .tracepoint, attach: nil, target: "sched/sched_switch", flags: [],
            legacy: false),
        Case(
            section: "raw_tp.w/sys_enter", type: .rawTracepointWritable, attach: nil, target: "sys_enter", flags: [],
            legacy: false),
        Case(
            section: "tp_btf/sched_process_exec", type: .tracing, attach: .traceRawTp, target: "sched_process_exec",
            flags: [.attachBTF], legacy: false),
        Case(
            section: "fentry.s/do_sys_open", type: .tracing, attach: .traceFentry, target: "do_sys_open",
            flags: [.attachBTF, .sleepable], legacy: false),
        Case(
            section: "lsm.s/file_open", type: .lsm, attach: .lsmMac, target: "file_open",
            flags: [.attachBTF, .sleepable], legacy: false),
        Case(
            section: "iter/task", type: .tracing, attach: .traceIter, target: "task", flags: [.attachBTF], legacy: false
        ),
        Case(section: "xdp", type: .xdp, attach: .xdp, target: nil, flags: [.attachableOptional], legacy: false),
        Case(section: "xdp.frags", type: .xdp, attach: .xdp, target: nil, flags: [.xdpFragments], legacy: false),
        Case(section: "xdp/devmap", type: .xdp, attach: .xdpDevmap, target: nil, flags: [.attachable], legacy: false),
        Case(section: "tcx/ingress", type: .schedCls, attach: .tcxIngress, target: nil, flags: [], legacy: false),
        Case(
            section: "cgroup/connect4", type: .cgroupSockAddr, attach: .cgroupInet4Connect, target: nil,
            flags: [.attachable], legacy: false),
        Case(
            section: "cgroup_skb/egress", type: .cgroupSkb, attach: .cgroupInetEgress, target: nil,
            flags: [.attachableOptional], legacy: false),
        Case(
            section: "struct_ops.s/init", type: .structOps, attach: nil, target: "init", flags: [.sleepable],
            legacy: false),
        Case(section: "syscall", type: .syscall, attach: nil, target: nil, flags: [.sleepable], legacy: false),
        Case(
            section: "usdt/lib:provider:probe", type: .kprobe, attach: nil, target: "lib:provider:probe",
            flags: [.usdt], legacy: false),
        // Pre-1.0 prefix names, still in the wild.
        Case(section: "xdp/foo", type: .xdp, attach: .xdp, target: "foo", flags: [.attachableOptional], legacy: true),
        Case(section: "socket/2", type: .socketFilter, attach: nil, target: "2", flags: [], legacy: true),
        Case(section: "socket1", type: .socketFilter, attach: nil, target: nil, flags: [], legacy: true),
        Case(section: "unknown_section", type: nil, attach: nil, target: nil, flags: [], legacy: false),
    ]

    @Test("first match wins, + patterns take a target, legacy prefixes last", arguments: cases)
    func match(_ c: Case) {
        let kind = ProgramKind(section: c.section)
        #expect(kind?.programType == c.type)
        guard let kind else { return }
        #expect(kind.expectedAttachType == c.attach)
        #expect(kind.attachTarget == c.target)
        #expect(kind.flags == c.flags)
        #expect(kind.legacyMatch == c.legacy)
    }

    @Test("names as bpftool prints them")
    func names() {
        #expect(ProgramType.socketFilter.description == "socket_filter")
        #expect(ProgramType.schedCls.description == "sched_cls")
        #expect(ProgramType.named("xdp") == .xdp && ProgramType.named("BPF_PROG_TYPE_TRACING") == .tracing)
        #expect(AttachType.cgroupInetIngress.description == "BPF_CGROUP_INET_INGRESS")
        #expect(MapType.perCPUArray.description == "percpu_array" && MapType.ringBuffer.description == "ringbuf")
    }

    @Test("internal map names as libbpf forms them")
    func internalMapNames() {
        #expect(ObjectSpec.internalMapName(object: "multi", section: ".rodata") == "multi.rodata")
        #expect(ObjectSpec.internalMapName(object: "my_object_name", section: ".rodata") == "my_objec.rodata")
        #expect(ObjectSpec.internalMapName(object: "my_object_name", section: ".bss") == "my_objec.bss")
        #expect(ObjectSpec.internalMapName(object: "obj", section: ".data.custom") == ".data.custom")
        #expect(ObjectSpec.internalMapName(object: "obj", section: ".rodata.str1.1") == ".rodata.str1.1")
        #expect(ObjectSpec.internalMapName(object: "obj", section: ".data.a_very_long_name") == ".data.a_very_lo")
        #expect(ObjectSpec.internalMapName(object: "we-ird", section: ".data") == "we_ird.data")
    }
}
