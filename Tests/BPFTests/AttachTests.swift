import BPF
import BPFObject
import Glibc
import TestSupport
import Testing

/// The `.bss` counter `name` of a loaded counter.bpf.c.
func counter(_ object: borrowing LoadedObject, _ name: String) throws -> UInt64 {
    let bss = try object.map(named: "counter.bss").required("counter.bss")
    let value = try bss.value([0, 0, 0, 0])
    // getpid_calls and syscalls are the only .bss variables: offsets 0 and 8.
    let offset = name == "getpid_calls" ? 0 : 8
    return value[offset..<offset + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) }
}

func targetThisProcess(_ object: borrowing LoadedObject) throws {
    let map = try object.map(named: "target_pid").required("target_pid")
    var pid = UInt32(getpid())
    try map.update([0, 0, 0, 0], withUnsafeBytes(of: &pid) { Array($0) })
}

extension KernelTests {
    @Suite("Attaching programs", kernelTrait, .serialized)
    struct AttachTests {
        @Test("a tracepoint counts while attached and stops when the link is dropped")
        func tracepoint() throws {
            try KernelObjects.exclusively {
                let object = try loadTestData("counter.bpfel.o")
                try targetThisProcess(object)
                let program = try object.program(named: "count_getpid").required("count_getpid")
                do {
                    let link = try Attach.auto(
                        program: program.descriptor,
                        kind: try (object.spec.program(named: "count_getpid")?.kind).required("kind"))
                    for _ in 0..<10 { _ = getpid() }
                    #expect(try counter(object, "getpid_calls") >= 10)
                    link.detach()
                }
                let after = try counter(object, "getpid_calls")
                for _ in 0..<10 { _ = getpid() }
                #expect(try counter(object, "getpid_calls") == after)
            }
        }

        @Test("a raw tracepoint counts this process's syscalls, until detached")
        func rawTracepoint() throws {
            try KernelObjects.exclusively {
                let object = try loadTestData("counter.bpfel.o")
                try targetThisProcess(object)
                let program = try object.program(named: "count_syscalls").required("count_syscalls")
                do {
                    let link = try Attach.rawTracepoint(program: program.descriptor, name: "sys_enter")
                    for _ in 0..<5 { _ = getppid() }
                    #expect(try counter(object, "syscalls") >= 5)
                    _ = link
                }
                let after = try counter(object, "syscalls")
                for _ in 0..<5 { _ = getppid() }
                #expect(try counter(object, "syscalls") == after)
            }
        }

        @Test("a socket filter drops what reaches the socket, until detached")
        func socketFilter() throws {
            try KernelObjects.exclusively {
                let object = try loadTestData("counter.bpfel.o")
                let program = try object.program(named: "drop_all").required("drop_all")
                let receiver = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0),
                    sender = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
                defer { close(receiver); close(sender) }
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let bound = withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(receiver, $0, length) == 0 && getsockname(receiver, $0, &length) == 0
                    }
                }
                #expect(bound)
                func roundTrip() -> Bool {
                    var payload: [UInt8] = [1, 2, 3]
                    _ = withUnsafePointer(to: &address) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            sendto(sender, &payload, 3, 0, $0, length)
                        }
                    }
                    var buffer = [UInt8](repeating: 0, count: 16)
                    usleep(20_000)
                    return recv(receiver, &buffer, 16, Int32(MSG_DONTWAIT)) == 3
                }
                #expect(roundTrip())
                try Attach.socketFilter(program: program.descriptor, socket: receiver)
                #expect(!roundTrip())
                try Attach.detachSocketFilter(socket: receiver)
                #expect(roundTrip())
            }
        }

        @Test("an iterator (iter/task): attached by section name, read twice, lists this process's task")
        func taskIterator() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    let object = try loadTestData("iter.bpfel.o")
                    let spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/iter.bpfel.o")
                    let kind = try spec.program(named: "list_tasks").required("list_tasks").kind.required(
                        "iter/task kind")
                    let link = try Attach.auto(
                        program: try object.program(named: "list_tasks").required("list_tasks").descriptor, kind: kind)
                    for _ in 0..<2 {
                        let lines = String(decoding: try link.readIterator(), as: UTF8.self).split(separator: "\n")
                        #expect(lines.first == "tgid pid comm")
                        #expect(lines.contains { $0 == "2 2 kthreadd" }, "kthreadd is listed")
                        #expect(lines.contains { $0.hasPrefix("\(getpid()) \(getpid()) ") }, "this process is listed")
                        #expect(lines.count > 10)
                    }
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test(
            "perf_event on a software CPU clock (CPU 0, every 0.5 ms) runs while its link lives, and stops when it is dropped"
        )
        func perfEvent() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    var spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/types.bpfel.o")
                    for program in spec.entryPrograms where program.name != "on_perf_event" {
                        try spec.setAutoLoad(false, program: program.name)
                    }
                    let object = try spec.load()
                    #expect(object.programNames == ["on_perf_event"])
                    let globals = try GlobalData(object)
                    let program = try object.program(named: "on_perf_event").required("on_perf_event")
                    do {
                        let link = try Attach.perfEvent(
                            program: program.descriptor, source: .cpuClock, samplePeriod: 500_000, cpu: 0)
                        #expect(try LinkInfo(of: link.descriptor).typeName == "perf_event")
                        usleep(100_000)
                        #expect(try globals.value(of: "hits", as: UInt64.self) >= 20, "about 200 ticks in 100 ms")
                    }
                    let counted = try globals.value(of: "hits", as: UInt64.self)
                    usleep(50_000)
                    #expect(try globals.value(of: "hits", as: UInt64.self) == counted)
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test("kprobes: a clear 'not supported by this kernel' error here")
        func kprobe() throws {
            try KernelObjects.exclusively {
                let object = try loadTestData("counter.bpfel.o")
                let program = try object.program(named: "probe_open").required("probe_open")
                do {
                    // A kernel with CONFIG_KPROBES attaches: then the program must count the opens it sees.
                    let link = try Attach.auto(
                        program: program.descriptor,
                        kind: try (object.spec.program(named: "probe_open")?.kind).required("kind"))
                    link.detach()
                    if let unexpected = Host.unexpectedOutcome("kprobe", refused: false) {
                        Issue.record(Comment(rawValue: unexpected))
                    }
                } catch let AttachError.unsupported(what) {
                    #expect(what == .kprobes || what == .kprobeAttachment)
                    if let unexpected = Host.unexpectedOutcome("kprobe", refused: true) {
                        Issue.record(Comment(rawValue: unexpected))
                    }
                }
            }
        }

        @Test("1,000 attach/detach cycles leave the descriptor count unchanged")
        func cycles() throws {
            try KernelObjects.exclusively {
                let object = try loadTestData("counter.bpfel.o")
                let program = try object.program(named: "count_syscalls").required("count_syscalls")
                let before = KernelObjects.openCount()
                var fds = 0
                // Raw tracepoint links: a perf-event tracepoint costs an RCU grace period (~75 ms) per detach.
                for _ in 0..<1000 {
                    let link = try Attach.rawTracepoint(program: program.descriptor, name: "sys_enter")
                    fds = max(fds, Int(link.descriptor.rawValue))
                }
                #expect(KernelObjects.openCount() == before)
                #expect(fds < 1000)
            }
        }
    }
}
