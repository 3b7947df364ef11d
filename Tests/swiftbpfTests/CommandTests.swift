import Foundation
import TestSupport
import Testing

@Suite("swiftbpf commands (the built binary)")
struct CommandTests {
    static let multi = TestPaths.testData + "/obj/multi.bpfel.o"

    @Test("usdt list shows what readelf -n shows of each probe, then where it attaches and its arguments")
    func usdtList() throws {
        let binary = TestPaths.testData + "/usdt/usdt_target"
        let ours = try Host.capture(Host.swiftbpf, ["usdt", "list", binary])
        #expect(ours.status == 0)
        let readelf = try #require(Host.find("readelf") ?? Host.find("llvm-readelf"))
        let theirs = try Host.capture(readelf, ["-n", binary]).out
        let stapsdt = theirs.components(separatedBy: "Displaying notes found in: .note.stapsdt").last ?? ""
        func fields(_ text: String) -> [String] {
            text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { line in
                ["Provider:", "Name:", "Location:", "Arguments:"].contains { line.hasPrefix($0) }
            }
        }
        #expect(fields(ours.out) == fields(stapsdt))
        #expect(fields(ours.out).count == 28)
        #expect(
            ours.out.contains("Uprobe: offset 0x1227, semaphore at 0x3020\nSpec: s32 *(%rbp - 20), s64 *(%rbp - 8)"))
        let json = try Host.capture(Host.swiftbpf, ["usdt", "list", binary, "--json"])
        let probes = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [[String: Any]])
        #expect(probes.count == 7 && probes.allSatisfy { $0["offset"] != nil && $0["error"] == nil })
        #expect(try Host.capture(Host.swiftbpf, ["usdt", "list", TestPaths.testData + "/usdt/build.sh"]).status == 1)
        // Real libraries that carry notes, where present.
        for library in ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libc.so.6"] {
            guard FileManager.default.fileExists(atPath: library) else { continue }
            let listed = try Host.capture(Host.swiftbpf, ["usdt", "list", library])
            let notes = try Host.capture(readelf, ["-n", library]).out
            #expect(fields(listed.out) == fields(notes), "\(library)")
        }
    }

    @Test("inspect --json carries the BPF view: programs, maps, relocations")
    func inspectJSON() throws {
        let result = try Host.capture(Host.swiftbpf, ["inspect", Self.multi, "--json"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        let bpf = try #require(object["bpf"] as? [String: Any])
        #expect(bpf["license"] as? String == "GPL")
        let programs = try #require(bpf["programs"] as? [[String: Any]])
        #expect(programs.contains { $0["name"] as? String == "xdp_pass" && $0["type"] as? String == "xdp" })
        #expect(programs.contains { $0["name"] as? String == "bump" && $0["subprogram"] as? Bool == true })
        let maps = try #require(bpf["maps"] as? [[String: Any]])
        #expect(
            maps.contains {
                $0["name"] as? String == "multi.rodata" && $0["origin"] as? String == "data .rodata (read-only)"
            })
    }

    @Test(
        "inspect shows which program fills which member of a struct_ops map, in text and JSON",
        arguments: ["bpfel", "bpfeb"])
    func inspectStructOps(_ order: String) throws {
        let path = TestPaths.testData + "/obj/tcp_cc.\(order).o"
        let text = try Host.capture(Host.swiftbpf, ["inspect", path])
        #expect(
            text.status == 0
                && text.out.contains(
                    """

                    Struct ops:
                      swift_cc: struct tcp_congestion_ops, through a link
                        .ssthresh = swift_ssthresh
                        .cong_avoid = swift_cong_avoid
                        .undo_cwnd = swift_undo_cwnd
                        .init = swift_init
                      swift_cc_map: struct tcp_congestion_ops
                        .ssthresh = swift_ssthresh
                        .cong_avoid = swift_cong_avoid
                        .undo_cwnd = swift_undo_cwnd

                    """)
        )
        let json = try Host.capture(Host.swiftbpf, ["inspect", path, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        let maps = try #require((object["bpf"] as? [String: Any])?["maps"] as? [[String: Any]])
        let ops = try #require(maps.first { $0["name"] as? String == "swift_cc" }?["structOps"] as? [String: Any])
        #expect(ops["type"] as? String == "tcp_congestion_ops")
        #expect(
            (ops["functions"] as? [[String: String]])?.map { $0["member"]! + "=" + $0["program"]! }
                == [
                    "ssthresh=swift_ssthresh", "cong_avoid=swift_cong_avoid", "undo_cwnd=swift_undo_cwnd",
                    "init=swift_init",
                ])
        #expect(maps.first { $0["name"] as? String == "tcp_cc.bss" }?["structOps"] == nil)
    }

    @Test("disasm before and after relocation")
    func disasm() throws {
        let raw = try Host.capture(Host.swiftbpf, ["disasm", Self.multi, "--program", "count_packets"])
        #expect(raw.status == 0 && raw.out.contains("call bpf_map_lookup_elem#1") && raw.out.contains("r1 = 0x0"))
        let relocated = try Host.capture(
            Host.swiftbpf, ["disasm", Self.multi, "--program", "count_packets", "--relocated"])
        #expect(relocated.out.contains("r1 = map[counts]") && relocated.out.contains("r1 = map[multi.bss]+0"))
        #expect(relocated.out.contains("; subprograms appended: "))
    }

    @Test(
        "usage errors exit 2 with a message; operation errors exit 1",
        arguments: [
            (["inspect"], Int32(2), "missing FILE"),
            (["inspect", "a.o", "--bogus"], 2, "unknown option '--bogus'"),
            (["frobnicate"], 2, "unknown command 'frobnicate'"),
            (["disasm", TestPaths.testData + "/obj/multi.bpfel.o", "--program", "nope"], 2, "no program named 'nope'"),
            (["inspect", "/nonexistent.o"], 1, "open /nonexistent.o"),
            (["btf", "dump", TestPaths.testData + "/src/multi.bpf.c"], 1, "bad magic"),
            (["prog", "attach", "1", "tracepoint", "syscalls/sys_enter_getpid"], 2, "needs --pin PATH"),
            (
                ["prog", "attach", "1", "tracepoint", "a/b", "--pin", "/sys/fs/bpf/x", "--mode", "generic"], 2,
                "--mode applies to xdp targets only"
            ),
            (["struct_ops", "frobnicate"], 2, "expected 'register', 'list' or 'unregister'"),
        ])
    func exitCodes(_ arguments: [String], _ status: Int32, _ message: String) throws {
        let result = try Host.capture(Host.swiftbpf, arguments)
        #expect(result.status == status)
        #expect(result.err.contains(message), "stderr: \(result.err)")
    }
}
