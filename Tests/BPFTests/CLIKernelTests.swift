import Foundation
import TestSupport
import Testing

/// The swiftbpf verbs that act on kernel objects, checked against bpftool on the same objects.
extension KernelTests {
    @Suite(
        "swiftbpf on kernel objects, beside bpftool", kernelTrait,
        .enabled(if: Host.find("bpftool") != nil || Host.required, "bpftool is not installed"))
    struct CLIKernelTests {
        /// Loads `object` with swiftbpf, pinning its programs in a fresh directory, for `body`.
        func withLoaded(_ object: String, _ body: (String) throws -> Void) throws {
            #expect(Host.ensureBPFFS())
            let dir = "/sys/fs/bpf/swiftbpf-cli-\(getpid())-\(UUID().uuidString.prefix(8))"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let load = try Host.capture(
                Host.swiftbpf, ["prog", "load", TestPaths.testData + "/obj/" + object, "--pin-dir", dir])
            try #require(load.status == 0, "load: \(load.err)")
            try body(dir)
        }

        @Test(
            "prog dump xlated prints bpftool's lines (signatures, source lines, maps, helpers, subprogram calls), plus map names",
            arguments: ["multi.bpfel.o", "netcount.bpfel.o", "core.bpfel.o", "ringbuf.bpfel.o", "globals.bpfel.o"])
        func dumpXlated(_ object: String) throws {
            let bpftool = try #require(Host.find("bpftool"))
            try withLoaded(object) { dir in
                let programs = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
                #expect(!programs.isEmpty)
                var sawMapName = false
                for program in programs {
                    let ours = try Host.capture(
                        Host.swiftbpf, ["prog", "dump", "xlated", "--pinned", dir + "/" + program])
                    let theirs = try Host.capture(bpftool, ["prog", "dump", "xlated", "pinned", dir + "/" + program])
                    #expect(ours.status == 0 && theirs.status == 0, "\(ours.err) \(theirs.err)")
                    let stripped = ours.out.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                        line.range(of: "  // ").map { line[..<$0.lowerBound] } ?? line
                    }.joined(separator: "\n")
                    #expect(stripped == theirs.out, "\(program)")
                    sawMapName = sawMapName || ours.out.contains("  // ")
                }
                if object != "core.bpfel.o" { #expect(sawMapName) }
            }
        }

        @Test(
            "map dump prints what bpftool prints: BTF-formatted text, and JSON with hex and formatted fields",
            arguments: ["multi.bpfel.o", "netcount.bpfel.o", "globals.bpfel.o", "ringbuf.bpfel.o"])
        func mapDump(_ object: String) throws {
            let bpftool = try #require(Host.find("bpftool"))
            try withLoaded(object) { dir in
                // The maps of the object's first program (the pins keep them alive).
                let show = try Host.capture(
                    Host.swiftbpf,
                    [
                        "prog", "show", "--pinned",
                        dir + "/" + (try FileManager.default.contentsOfDirectory(atPath: dir).sorted()[0]), "--json",
                    ])
                let ids = try #require(
                    (try JSONSerialization.jsonObject(with: Data(show.out.utf8)) as? [String: Any])?["map_ids"]
                        as? [Int])
                #expect(!ids.isEmpty)
                for id in ids.map(String.init) {
                    let ours = try Host.capture(Host.swiftbpf, ["map", "dump", id])
                    let theirs = try Host.capture(bpftool, ["map", "dump", "id", id])
                    #expect(
                        ours.status == 0 && ours.out == theirs.out,
                        "map \(id): \(ours.err)\n\(ours.out)\n---\n\(theirs.out)")
                    let oursJSON =
                        try JSONSerialization.jsonObject(
                            with: Data(try Host.capture(Host.swiftbpf, ["map", "dump", id, "--json"]).out.utf8))
                        as? NSArray
                    let theirsJSON =
                        try JSONSerialization.jsonObject(
                            with: Data(try Host.capture(bpftool, ["-j", "map", "dump", "id", id]).out.utf8)) as? NSArray
                    #expect(oursJSON != nil && oursJSON == theirsJSON, "map \(id)")
                }
            }
        }

        @Test("map update, lookup and delete with hex bytes agree with bpftool's view of the map")
        func mapElements() throws {
            let bpftool = try #require(Host.find("bpftool"))
            try withLoaded("multi.bpfel.o") { dir in
                let list = try Host.capture(Host.swiftbpf, ["map", "list"]).out
                let line = try #require(list.split(separator: "\n").last { $0.contains("name counts ") })
                let id = String(line.prefix { $0 != ":" })
                let update = try Host.capture(
                    Host.swiftbpf, ["map", "update", id, "key", "07", "0", "0", "0", "value", "2a00000000000000"])
                #expect(update.status == 0, "\(update.err)")
                let theirs = try Host.capture(
                    bpftool, ["map", "lookup", "id", id, "key", "7", "0", "0", "0", "--json"])
                #expect(theirs.out.contains("\"value\": 42") || theirs.out.contains("\"0x2a\""), "\(theirs.out)")
                let ours = try Host.capture(Host.swiftbpf, ["map", "lookup", id, "key", "0x07000000"])
                #expect(ours.out == "key: 07 00 00 00  value: 2a 00 00 00 00 00 00 00\n")
                let exists = try Host.capture(
                    Host.swiftbpf,
                    [
                        "map", "update", id, "key", "7", "0", "0", "0", "value", "0", "0", "0", "0", "0", "0", "0", "0",
                        "--flags", "noexist",
                    ])
                #expect(exists.status == 1 && exists.err.contains("EEXIST"))
                let short = try Host.capture(Host.swiftbpf, ["map", "lookup", id, "key", "07"])
                #expect(short.status == 1 && short.err.contains("the key has 1 bytes"))
                #expect(try Host.capture(Host.swiftbpf, ["map", "delete", id, "key", "7", "0", "0", "0"]).status == 0)
                let gone = try Host.capture(Host.swiftbpf, ["map", "lookup", id, "key", "7", "0", "0", "0"])
                #expect(gone.status == 1 && gone.err.contains("ENOENT"))
            }
        }

        @Test("prog run reports what bpftool prog run reports, and saves the packet the program left")
        func testRun() throws {
            let bpftool = try #require(Host.find("bpftool"))
            try withLoaded("multi.bpfel.o") { dir in
                let packet = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "swiftbpf-packet-\(getpid())"
                ).path
                let output = packet + ".out"
                defer {
                    try? FileManager.default.removeItem(atPath: packet);
                    try? FileManager.default.removeItem(atPath: output)
                }
                try Data((0..<64).map { UInt8($0) }).write(to: URL(fileURLWithPath: packet))
                let ours = try Host.capture(
                    Host.swiftbpf,
                    [
                        "prog", "run", "--pinned", dir + "/xdp_pass", "--data-in", packet, "--data-out", output,
                        "--repeat", "10",
                    ])
                let theirs = try Host.capture(
                    bpftool, ["prog", "run", "pinned", dir + "/xdp_pass", "data_in", packet, "repeat", "10"])
                #expect(ours.status == 0, "\(ours.err)")
                func returnValue(_ s: String) -> Substring? { s.split(separator: ",").first }
                #expect(returnValue(ours.out) == "Return value: 2" && returnValue(ours.out) == returnValue(theirs.out))
                #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == Data((0..<64).map { UInt8($0) }))
            }
        }

        @Test(
            "prog load shows progress on a terminal only (script(1) gives it one)",
            .enabled(if: Host.find("script") != nil || Host.required, "script(1) is not installed"))
        func progress() throws {
            let object = TestPaths.testData + "/obj/multi.bpfel.o"
            let plain = try Host.capture(Host.swiftbpf, ["prog", "load", object])
            #expect(plain.status == 0 && plain.err.isEmpty, "stderr: \(plain.err)")
            let script = try #require(Host.find("script"))
            let terminal = try Host.capture(script, ["-q", "-c", "\(Host.swiftbpf) prog load \(object)", "/dev/null"])
            #expect(
                terminal.out.contains("creating maps 6/6") && terminal.out.contains("loading programs 5/5"),
                "\(terminal.out)")
            #expect(
                terminal.out.contains("\u{1B}[K18") || terminal.out.contains("\r\u{1B}[K"),
                "the progress line is erased")
        }

        @Test("btf list and btf dump id: bpftool's list lines and raw dumps")
        func btfObjects() throws {
            let bpftool = try #require(Host.find("bpftool"))
            try withLoaded("multi.bpfel.o") { dir in
                let ours = try Host.capture(Host.swiftbpf, ["btf", "list"]).out.split(separator: "\n")
                let theirs = try Host.capture(bpftool, ["btf", "list"]).out.split(separator: "\n")
                let size = try FileManager.default.attributesOfItem(atPath: "/sys/kernel/btf/vmlinux")[.size] as? Int
                #expect(ours.first.map(String.init) == "1: name [vmlinux]  size \(size ?? 0)B")
                #expect(ours.first == theirs.first)
                let show = try Host.capture(Host.swiftbpf, ["prog", "show", "--pinned", dir + "/xdp_pass", "--json"])
                    .out
                let program = try JSONSerialization.jsonObject(with: Data(show.utf8)) as? [String: Any]
                let btfID = String(try #require(program?["btf_id"] as? Int))
                #expect(ours.contains { $0.hasPrefix("\(btfID): name <anon>") })
                let dump = try Host.capture(Host.swiftbpf, ["btf", "dump", "id", btfID])
                let reference = try Host.capture(bpftool, ["btf", "dump", "id", btfID, "format", "raw"])
                #expect(dump.status == 0 && dump.out == reference.out)
            }
        }

        @Test(
            "prog attach: a tracepoint program attached and pinned by the CLI counts this process's getpid calls until the pin goes; an iterator reads through its pinned link"
        )
        func progAttach() throws {
            try withLoaded("counter.bpfel.o") { dir in
                let show = try Host.capture(
                    Host.swiftbpf, ["prog", "show", "--pinned", dir + "/count_getpid", "--json"])
                let ids = try #require(
                    (try JSONSerialization.jsonObject(with: Data(show.out.utf8)) as? [String: Any])?["map_ids"]
                        as? [Int])
                func mapID(_ name: String) throws -> String {
                    for id in ids.map(String.init)
                    where try Host.capture(Host.swiftbpf, ["map", "show", id, "--json"]).out.contains(
                        "\"name\": \"\(name)\"")
                    {
                        return id
                    }
                    throw MissingValue(what: "map \(name)")
                }
                let pid = withUnsafeBytes(of: UInt32(getpid()).littleEndian) { $0.map { String($0, radix: 16) } }
                let update = try Host.capture(
                    Host.swiftbpf, ["map", "update", try mapID("target_pid"), "key", "0", "0", "0", "0", "value"] + pid)
                #expect(update.status == 0, "\(update.err)")
                func getpidCalls() throws -> UInt64 {
                    let out = try Host.capture(
                        Host.swiftbpf, ["map", "lookup", try mapID("counter.bss"), "key", "0", "0", "0", "0"]
                    ).out
                    let bytes =
                        out.components(separatedBy: "value: ").last?.split(separator: " ").prefix(8).compactMap {
                            UInt8($0.trimmingCharacters(in: .whitespacesAndNewlines), radix: 16)
                        } ?? []
                    return bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
                }
                let attach = try Host.capture(
                    Host.swiftbpf,
                    [
                        "prog", "attach", "--pinned", dir + "/count_getpid", "tracepoint", "syscalls/sys_enter_getpid",
                        "--pin", dir + "/getpid_link",
                    ])
                try #require(attach.status == 0, "\(attach.err)")
                #expect(
                    attach.out.contains(": perf_event  prog ") && attach.out.hasSuffix("pinned \(dir)/getpid_link\n"))
                for _ in 0..<5 { _ = getpid() }
                #expect(try getpidCalls() >= 5)
                // perf_event links cannot be detached early: they end with their last pin or descriptor.
                let detach = try Host.capture(Host.swiftbpf, ["link", "detach", "--pinned", dir + "/getpid_link"])
                #expect(detach.status == 1 && detach.err.contains("remove its pins"), "\(detach.err)")
                #expect(unlink(dir + "/getpid_link") == 0)
                // The kernel releases an unpinned link after an RCU grace period: wait for the count to settle.
                var stable = false
                for _ in 0..<40 where !stable {
                    let counted = try getpidCalls()
                    for _ in 0..<5 { _ = getpid() }
                    usleep(50_000)
                    stable = try getpidCalls() == counted
                }
                #expect(stable, "the unpinned link's program counts no more")
                let noPin = try Host.capture(
                    Host.swiftbpf,
                    ["prog", "attach", "--pinned", dir + "/count_getpid", "tracepoint", "syscalls/sys_enter_getpid"])
                #expect(noPin.status == 2 && noPin.err.contains("needs --pin"))
            }
            try withLoaded("iter.bpfel.o") { dir in
                let attach = try Host.capture(
                    Host.swiftbpf, ["prog", "attach", "--pinned", dir + "/list_tasks", "iter", "--pin", dir + "/tasks"])
                try #require(attach.status == 0, "\(attach.err)")
                let text = try String(contentsOfFile: dir + "/tasks", encoding: .utf8)
                #expect(text.hasPrefix("tgid pid comm\n") && text.contains("\n2 2 kthreadd\n"))
            }
        }

        @Test(
            "struct_ops register/list/unregister: registered as bpftool lists it, in the kernel's congestion controls, gone after"
        )
        func structOps() throws {
            let bpftool = try #require(Host.find("bpftool"))
            #expect(Host.ensureBPFFS())
            let dir = "/sys/fs/bpf/swiftbpf-struct-ops-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let object = TestPaths.testData + "/obj/tcp_cc.bpfel.o"
            let refused = try Host.capture(Host.swiftbpf, ["struct_ops", "register", object])
            #expect(refused.status == 2 && refused.err.contains("needs LINK_DIR"), "\(refused.err)")
            let register = try Host.capture(Host.swiftbpf, ["struct_ops", "register", object, dir])
            try #require(register.status == 0, "\(register.err)")
            #expect(
                register.out.contains("Registered tcp_congestion_ops swift_cc id ")
                    && register.out.contains("(link pinned at \(dir)/swift_cc)"))
            #expect(register.out.contains("Registered tcp_congestion_ops swift_cc_map id "))
            #expect(
                availableCongestionControls().contains("swiftbpf_cc")
                    && availableCongestionControls().contains("swiftbpf_cc_map"))
            let ours = try Host.capture(Host.swiftbpf, ["struct_ops", "list"]).out.split(separator: "\n").filter {
                $0.contains("swift_cc")
            }
            let theirs = try Host.capture(bpftool, ["struct_ops", "list"]).out.split(separator: "\n").filter {
                $0.contains("swift_cc")
            }
            #expect(ours.count == 2 && ours == theirs)
            for name in ["swift_cc", "swift_cc_map"] {
                let unregister = try Host.capture(Host.swiftbpf, ["struct_ops", "unregister", "--name", name])
                #expect(
                    unregister.status == 0 && unregister.out.hasPrefix("Unregistered tcp_congestion_ops \(name) id "),
                    "\(unregister.err)")
            }
            #expect(
                !availableCongestionControls().contains("swiftbpf_cc")
                    && !availableCongestionControls().contains("swiftbpf_cc_map"))
            let missing = try Host.capture(Host.swiftbpf, ["struct_ops", "unregister", "--name", "swift_cc_map"])
            #expect(missing.status == 1 && missing.err.contains("no struct_ops map named 'swift_cc_map'"))
        }
    }
}
