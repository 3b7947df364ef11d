import BPF
import BPFObject
import Foundation
import Glibc
import TestSupport
import Testing

/// netcount.bpf.c, loaded to count UDP packets to `port` and connect() calls of this process.
func loadNetcount(port: UInt16) throws -> LoadedObject {
    var spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/netcount.bpfel.o")
    try spec.setInitialValue(withUnsafeBytes(of: port.bigEndian) { Array($0) }, of: "port")
    try spec.setInitialValue(withUnsafeBytes(of: UInt32(getpid())) { Array($0) }, of: "pid")
    return try spec.load()
}

/// Sends `count` UDP datagrams to 127.0.0.1:`port`, or connects a UDP socket there `count` times.
func udp(to port: UInt16, count: Int, connecting: Bool = false) throws {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    for _ in 0..<count {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                connecting
                    ? connect(fd, sa, socklen_t(MemoryLayout<sockaddr_in>.size))
                    : Int32(sendto(fd, "x", 1, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size)))
            }
        }
        #expect(result >= 0, "errno \(errno)")
    }
}

/// The cgroup v2 directory this process is in, from /proc/self/mountinfo and /proc/self/cgroup.
func currentCgroupV2() throws -> String {
    let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
    let mount = try mounts.split(separator: "\n").first { $0.contains(" - cgroup2 ") }
        .map { String($0.split(separator: " ")[4]) }.required("a cgroup2 mount")
    let groups = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
    let path = try groups.split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }.required(
        "a cgroup v2 entry")
    return mount + (path == "/" ? "" : path)
}

/// A veth pair whose peer lives in a fresh network namespace, for one test: the host end
/// `host` (10.199.0.1/30) and, in namespace `namespace`, the peer (10.199.0.2/30).
struct VethPair: ~Copyable {
    let namespace: String, host: String

    init() throws {
        let id = getpid() % 100_000
        namespace = "swiftbpf-\(id)"
        host = "sbh\(id)"
        let peer = "sbp\(id)"
        for command in [
            ["netns", "add", namespace],
            ["link", "add", host, "type", "veth", "peer", "name", peer],
            ["link", "set", peer, "netns", namespace],
            ["addr", "add", "10.199.0.1/30", "dev", host], ["link", "set", host, "up"],
            ["-n", namespace, "addr", "add", "10.199.0.2/30", "dev", peer],
            ["-n", namespace, "link", "set", peer, "up"], ["-n", namespace, "link", "set", "lo", "up"],
        ] {
            let result = try Host.capture("/usr/sbin/ip", command)
            guard result.status == 0 else {
                throw MissingValue(what: "ip \(command.joined(separator: " ")): \(result.err)")
            }
        }
    }

    /// Sends `count` UDP datagrams from inside the namespace to the host end, port `port`.
    func sendFromPeer(to port: UInt16, count: Int) throws {
        let script = "for i in $(seq \(count)); do echo x > /dev/udp/10.199.0.1/\(port); done"
        let result = try Host.capture("/usr/sbin/ip", ["netns", "exec", namespace, "bash", "-c", script])
        #expect(result.status == 0, "\(result.err)")
    }

    deinit {
        _ = try? Host.capture("/usr/sbin/ip", ["netns", "del", namespace])  // takes the peer, and with it the pair
        _ = try? Host.capture("/usr/sbin/ip", ["link", "del", host])
    }
}

extension KernelTests {
    @Suite("Attaching to interfaces and cgroups", kernelTrait, .serialized)
    struct NetworkAttachTests {
        @Test("XDP and tcx on a veth pair: UDP sent from another network namespace is counted while the links live")
        func vethFromNamespace() throws {
            try KernelObjects.exclusively {
                let pair = try VethPair()
                let object = try loadNetcount(port: 42430)
                let globals = try GlobalData(object)
                let xdpProgram = try object.program(named: "count_udp").required("count_udp")
                let tcProgram = try object.program(named: "count_udp_tc").required("count_udp_tc")
                let attachType = try (object.spec.program(named: "count_udp_tc")?.kind?.expectedAttachType).required(
                    "attach type")
                do {
                    let xdp = try Attach.xdp(program: xdpProgram.descriptor, interface: pair.host)
                    let tc = try Attach.tcx(program: tcProgram.descriptor, interface: pair.host, attachType: attachType)
                    try pair.sendFromPeer(to: 42430, count: 6)
                    try pair.sendFromPeer(to: 42431, count: 2)
                    #expect(try globals.value(of: "udp_packets", as: UInt64.self) == 6)
                    #expect(try globals.value(of: "tc_packets", as: UInt64.self) == 6)
                    xdp.detach()
                    tc.detach()
                }
                try pair.sendFromPeer(to: 42430, count: 3)
                #expect(try globals.value(of: "udp_packets", as: UInt64.self) == 6)
                #expect(try globals.value(of: "tc_packets", as: UInt64.self) == 6)
            }
        }

        @Test("XDP on lo counts UDP packets while its link lives, and not after")
        func xdp() throws {
            try KernelObjects.exclusively {
                let object = try loadNetcount(port: 42424)
                let globals = try GlobalData(object)
                let program = try object.program(named: "count_udp").required("count_udp")
                do {
                    let link = try Attach.xdp(program: program.descriptor, interface: "lo")
                    try udp(to: 42424, count: 5)
                    try udp(to: 42425, count: 2)
                    #expect(try globals.value(of: "udp_packets", as: UInt64.self) == 5)
                    link.detach()
                }
                try udp(to: 42424, count: 3)
                #expect(try globals.value(of: "udp_packets", as: UInt64.self) == 5)
            }
        }

        @Test("tcx ingress on lo counts UDP packets while its link lives, and not after")
        func tcx() throws {
            try KernelObjects.exclusively {
                let object = try loadNetcount(port: 42427)
                let globals = try GlobalData(object)
                let program = try object.program(named: "count_udp_tc").required("count_udp_tc")
                let attachType = try (object.spec.program(named: "count_udp_tc")?.kind?.expectedAttachType).required(
                    "attach type")
                #expect(attachType.description == "BPF_TCX_INGRESS")
                do {
                    let link = try Attach.tcx(program: program.descriptor, interface: "lo", attachType: attachType)
                    try udp(to: 42427, count: 4)
                    try udp(to: 42428, count: 2)
                    #expect(try globals.value(of: "tc_packets", as: UInt64.self) == 4)
                    link.detach()
                }
                try udp(to: 42427, count: 3)
                #expect(try globals.value(of: "tc_packets", as: UInt64.self) == 4)
            }
        }

        @Test(
            "netkit on a device that is not netkit (this host has no CONFIG_NETKIT): a clear 'not supported' error, nothing attached"
        )
        func netkit() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    let object = try loadNetcount(port: 42429)
                    let program = try object.program(named: "count_udp_tc").required("count_udp_tc")
                    #expect {
                        _ = try Attach.netkit(program: program.descriptor, interface: "lo", attachType: .netkitPrimary)
                    } throws: { error in
                        guard case let AttachError.unsupported(.netkit(interface, _)) = error else { return false }
                        return interface == "lo"
                    }
                    // Whether the kernel has netkit at all decides what 'lo' is refused for: say which.
                    let hasNetkit =
                        (try? String(contentsOfFile: "/proc/kallsyms", encoding: .utf8))?.contains(" netkit_") ?? false
                    if let unexpected = Host.unexpectedOutcome("netkit", refused: !hasNetkit) {
                        Issue.record(Comment(rawValue: unexpected))
                    }
                    #expect(throws: AttachError.self) {
                        _ = try Attach.netkit(
                            program: program.descriptor, interface: "no-such-if0", attachType: .netkitPeer)
                    }
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test("a pinned link stays attached after it is dropped, and detaches once re-opened, unpinned and dropped")
        func pinnedLink() throws {
            try KernelObjects.exclusively {
                #expect(Host.ensureBPFFS())
                let path = "/sys/fs/bpf/swiftbpf-test-link-\(getpid())"
                let object = try loadNetcount(port: 42426)
                let globals = try GlobalData(object)
                let program = try object.program(named: "count_udp").required("count_udp")
                do {
                    let link = try Attach.xdp(program: program.descriptor, interface: "lo")
                    try link.pin(at: path)
                }
                try udp(to: 42426, count: 4)
                #expect(try globals.value(of: "udp_packets", as: UInt64.self) == 4)
                do {
                    let reopened = try Link(pinnedAt: path)
                    #expect(unlink(path) == 0)
                    try udp(to: 42426, count: 1)
                    _ = reopened
                }
                try udp(to: 42426, count: 3)
                #expect(try globals.value(of: "udp_packets", as: UInt64.self) == 5)
                #expect(access(path, F_OK) != 0)
            }
        }

        @Test("swiftbpf link list/show print a live link as bpftool link show's first line does; link detach stops it")
        func linkListing() throws {
            try KernelObjects.exclusively {
                let object = try loadNetcount(port: 42429)
                let program = try object.program(named: "count_udp").required("count_udp")
                let programID = try program.info().id
                let path = "/sys/fs/bpf/swiftbpf-test-linkshow-\(getpid())"
                let link = try Attach.xdp(program: program.descriptor, interface: "lo")
                try link.pin(at: path)
                defer { unlink(path) }
                let info = try LinkInfo(of: link.descriptor)
                #expect(info.typeName == "xdp" && info.programID == programID)
                let expected = "\(info.id): xdp  prog \(programID)  "
                let listed = try Host.capture(Host.swiftbpf, ["link", "list"])
                #expect(listed.status == 0)
                #expect(listed.out.split(separator: "\n").contains { $0 == expected })
                let shown = try Host.capture(Host.swiftbpf, ["link", "show", "--pinned", path, "--json"])
                #expect(shown.out.contains("\"id\": \(info.id)") || shown.out.contains("\"id\":\(info.id)"))
                if let bpftool = Host.find("bpftool") {
                    let theirs = try Host.capture(bpftool, ["link", "show", "pinned", path])
                    #expect(theirs.out.split(separator: "\n").first.map(String.init) == expected)
                }
                // Detached by id from another process while this one and the pin still hold the link.
                let globals = try GlobalData(object)
                try udp(to: 42429, count: 2)
                #expect(try globals.value(of: "udp_packets", as: UInt64.self) == 2)
                #expect(try Host.capture(Host.swiftbpf, ["link", "detach", "\(info.id)"]).status == 0)
                try udp(to: 42429, count: 3)
                #expect(try globals.value(of: "udp_packets", as: UInt64.self) == 2)
                link.detach()
            }
        }

        @Test("cgroup/connect4 on this process's cgroup counts its connect() calls, until detached")
        func cgroupConnect() throws {
            try KernelObjects.exclusively {
                let object = try loadNetcount(port: 0)
                let globals = try GlobalData(object)
                let spec = try object.spec.program(named: "count_connect").required("count_connect spec")
                let attachType = try (spec.kind?.expectedAttachType).required("attach type")
                #expect(attachType.description == "BPF_CGROUP_INET4_CONNECT")
                let program = try object.program(named: "count_connect").required("count_connect")
                do {
                    let link = try Attach.cgroup(
                        program: program.descriptor, path: try currentCgroupV2(), attachType: attachType)
                    try udp(to: 9, count: 6, connecting: true)
                    #expect(try globals.value(of: "connects", as: UInt64.self) == 6)
                    _ = link
                }
                try udp(to: 9, count: 2, connecting: true)
                #expect(try globals.value(of: "connects", as: UInt64.self) == 6)
            }
        }
    }
}
