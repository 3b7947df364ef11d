import BPF
import BPFObject
import Glibc
import TestSupport
import Testing

extension KernelTests {
    @Suite("Trampolines and BTF tracepoints (fentry, fexit, tp_btf, lsm)", kernelTrait, .serialized)
    struct TracingAttachTests {
        /// tracing.bpf.c with only `program` loaded, counting this process's events only.
        func loadTracing(_ program: String) throws -> LoadedObject {
            var spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/tracing.bpfel.o")
            try spec.setInitialValue(withUnsafeBytes(of: UInt32(getpid())) { Array($0) }, of: "target_tgid")
            for other in spec.entryPrograms where other.name != program {
                try spec.setAutoLoad(false, program: other.name)
            }
            return try spec.load()
        }

        /// Makes the events each program counts: a nanosleep, a syscall, a file open.
        func trigger() {
            usleep(1)
            _ = getppid()
            let fd = open("/proc/self/stat", O_RDONLY)
            if fd >= 0 { close(fd) }
        }

        @Test(
            "tp_btf attaches by its section name, counts this process's syscalls while its link lives, and stops when it is dropped"
        )
        func btfTracepoint() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    let object = try loadTracing("enter_syscall")
                    #expect(object.programNames == ["enter_syscall"], "the other programs stay out of the load")
                    let globals = try GlobalData(object)
                    let kind = try (object.spec.program(named: "enter_syscall")?.kind).required("kind")
                    do {
                        let link = try Attach.auto(
                            program: try object.program(named: "enter_syscall").required("enter_syscall").descriptor,
                            kind: kind)
                        #expect(try LinkInfo(of: link.descriptor).typeName == "raw_tracepoint")
                        for _ in 0..<3 { trigger() }
                        #expect(try globals.value(of: "sys_enter_calls", as: UInt64.self) >= 9)
                    }
                    let counted = try globals.value(of: "sys_enter_calls", as: UInt64.self)
                    for _ in 0..<3 { trigger() }
                    #expect(
                        try globals.value(of: "sys_enter_calls", as: UInt64.self) == counted,
                        "the dropped link detached it")
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        /// The feature each trampoline program exercises, as SWIFTBPF_HOST_REFUSES names it.
        static let feature = ["enter_nanosleep": "fentry", "exit_nanosleep": "fexit", "check_file_open": "lsm"]

        @Test(
            "fentry, fexit and lsm: this kernel refuses them at load (EPERM before verification); the error says so and nothing leaks",
            arguments: ["enter_nanosleep", "exit_nanosleep", "check_file_open"])
        func trampolines(_ program: String) throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    let object = try loadTracing(program)
                    // A kernel that builds trampolines: the program must then work end to end.
                    let kind = try (object.spec.program(named: program)?.kind).required("kind")
                    let link = try Attach.auto(
                        program: try object.program(named: program).required(program).descriptor, kind: kind)
                    for _ in 0..<3 { trigger() }
                    let counter = [
                        "enter_nanosleep": "fentry_calls", "exit_nanosleep": "fexit_calls",
                        "check_file_open": "file_open_calls",
                    ][program]!
                    #expect(try GlobalData(object).value(of: counter, as: UInt64.self) >= 3)
                    link.detach()
                    if let unexpected = Host.unexpectedOutcome(Self.feature[program]!, refused: false) {
                        Issue.record(Comment(rawValue: unexpected))
                    }
                } catch let LoadError.program(error) {
                    #expect(error.program == program && error.error.errno == EPERM && error.log.isEmpty)
                    #expect("\(error)".contains("BPF trampoline"), "\(error)")
                    if let unexpected = Host.unexpectedOutcome(Self.feature[program]!, refused: true) {
                        Issue.record(Comment(rawValue: unexpected))
                    }
                }
                #expect(KernelObjects.openCount() == before)
            }
        }
    }
}
