import BPF
import BPFObject
import ELF64
import Glibc
import TestSupport
import Testing

/// The TCP congestion controls this kernel offers (`net.ipv4.tcp_available_congestion_control`).
func availableCongestionControls() -> [String] {
    guard let storage = try? ByteStorage(contentsOfFile: "/proc/sys/net/ipv4/tcp_available_congestion_control") else {
        return []
    }
    let text = String(decoding: storage.bytes, as: UTF8.self)
    return text.split { (character: Character) in character == " " || character == "\n" }.map(String.init)
}

/// Makes one TCP connection over loopback whose connecting side uses congestion control `name`
/// and sends a few bytes on it; false when the kernel does not know `name`.
func connectOverLoopback(congestionControl name: String) throws -> Bool {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    defer { close(listener); close(client) }
    #expect(listener >= 0 && client >= 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(listener, $0, length) == 0 && listen(listener, 1) == 0 && getsockname(listener, $0, &length) == 0
        }
    }
    #expect(bound)
    let accepted = Array(name.utf8)
    guard setsockopt(client, Int32(IPPROTO_TCP), TCP_CONGESTION, accepted, socklen_t(accepted.count)) == 0 else {
        #expect(errno == ENOENT, "an unknown congestion control is ENOENT")
        return false
    }
    let connected = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) == 0 }
    }
    #expect(connected)
    let server = accept(listener, nil, nil)
    defer { close(server) }
    #expect(send(client, "hello", 5, 0) == 5)
    var buffer = [UInt8](repeating: 0, count: 5)
    #expect(recv(server, &buffer, 5, Int32(MSG_WAITALL)) == 5)
    return true
}

extension KernelTests {
    @Suite("struct_ops", kernelTrait, .serialized)
    struct StructOpsTests {
        /// `init_calls` of a loaded tcp_cc.bpf.c.
        func initCalls(_ object: borrowing LoadedObject) throws -> UInt64 {
            let bss = try object.map(named: "tcp_cc.bss").required("tcp_cc.bss")
            return try bss.value([0, 0, 0, 0]).withUnsafeBytes { $0.load(as: UInt64.self) }
        }

        @Test(
            "a TCP congestion control in .struct_ops.link: registered by a link, used by a connection, gone when the link drops"
        )
        func congestionControlLink() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    let notes = WarningLog()
                    var options = LoadOptions()
                    options.diagnostics = { notes.append($0) }
                    let object = try loadTestData("tcp_cc.bpfel.o", options)
                    #expect(
                        object.programNames.sorted() == [
                            "swift_cong_avoid", "swift_init", "swift_ssthresh", "swift_undo_cwnd",
                        ])
                    #expect(notes.all.contains { $0.contains("'unused_op'") && $0.contains("not loaded") })
                    #expect(!availableCongestionControls().contains("swiftbpf_cc"))
                    do {
                        let link = try Attach.structOps(map: "swift_cc", in: object)
                        #expect(try LinkInfo(of: link.descriptor).typeName == "struct_ops")
                        #expect(availableCongestionControls().contains("swiftbpf_cc"))
                        #expect(try initCalls(object) == 0)
                        #expect(try connectOverLoopback(congestionControl: "swiftbpf_cc"))
                        #expect(try initCalls(object) >= 1, "the kernel called the program of .init")
                    }
                    #expect(!availableCongestionControls().contains("swiftbpf_cc"), "dropping the link unregistered it")
                    #expect(try !connectOverLoopback(congestionControl: "swiftbpf_cc"))
                    // The written value stands: the same map registers again through a new link.
                    do {
                        let again = try Attach.structOps(map: "swift_cc", in: object)
                        #expect(availableCongestionControls().contains("swiftbpf_cc"))
                        again.detach()
                    }
                    #expect(!availableCongestionControls().contains("swiftbpf_cc"))
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test("a struct_ops map in .struct_ops: registered by its update, unregistered by dropping the link; no pin")
        func congestionControlMap() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    let object = try loadTestData("tcp_cc.bpfel.o")
                    let kind = try (object.spec.program(named: "swift_ssthresh")?.kind).required("kind")
                    #expect {
                        _ = try Attach.auto(
                            program: try object.program(named: "swift_ssthresh").required("program").descriptor,
                            kind: kind)
                    } throws: { "\($0)".contains("Attach.structOps(map:in:)") }
                    #expect { _ = try Attach.structOps(map: "tcp_cc.bss", in: object) } throws: {
                        "\($0)".contains("no struct_ops map 'tcp_cc.bss'")
                    }
                    do {
                        let link = try Attach.structOps(map: "swift_cc_map", in: object)
                        #expect(availableCongestionControls().contains("swiftbpf_cc_map"))
                        #expect(try connectOverLoopback(congestionControl: "swiftbpf_cc_map"))
                        #expect(throws: SyscallError.self) {
                            try link.pin(at: "/sys/fs/bpf/swiftbpf-never-\(getpid())")
                        }
                    }
                    #expect(!availableCongestionControls().contains("swiftbpf_cc_map"))
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test("a pinned struct_ops link keeps the congestion control registered after the process lets go")
        func pinnedLink() throws {
            try KernelObjects.exclusively {
                try withPinRoot { root in
                    let path = root + "/swift_cc"
                    do {
                        let object = try loadTestData("tcp_cc.bpfel.o")
                        let link = try Attach.structOps(map: "swift_cc", in: object)
                        try link.pin(at: path)
                    }
                    #expect(availableCongestionControls().contains("swiftbpf_cc"), "the pin holds it")
                    let reopened = try Link(pinnedAt: path)
                    unlink(path)
                    reopened.detach()
                    #expect(!availableCongestionControls().contains("swiftbpf_cc"))
                }
            }
        }
    }
}
