import BPF
import Foundation
import Glibc
import TestSupport
import Testing

/// An unprivileged shell in a new user and mount namespace: user 65534 (nobody) outside, root with
/// every capability inside, none in the initial namespace. Commands run one at a time.
final class NamespaceShell {
    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var pending = ""

    init() throws {
        process.executableURL = URL(fileURLWithPath: try #require(Host.find("setpriv")))
        process.arguments = [
            "--reuid=65534", "--regid=65534", "--clear-groups", "--", "unshare", "--user", "--map-root-user",
            "--mount", "--", "sh", "-s",
        ]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    /// The shell's process id (setpriv and unshare exec it in place).
    var pid: Int32 { process.processIdentifier }

    /// Runs `command` in the shell: what it printed (both streams) and its exit status.
    func run(_ command: String) -> (output: String, status: Int32) {
        let marker = "swiftbpf-shell-done"
        input.fileHandleForWriting.write(Data("\(command) 2>&1; echo \"\(marker) $?\"\n".utf8))
        while !pending.contains(marker + " ") || !pending[pending.range(of: marker + " ")!.upperBound...].contains("\n")
        {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { return (pending, -1) }  // the shell is gone
            pending += String(decoding: data, as: UTF8.self)
        }
        let range = pending.range(of: marker + " ")!
        let text = String(pending[..<range.lowerBound])
        let rest = pending[range.upperBound...]
        let line = rest.prefix { $0 != "\n" }
        pending = String(rest.dropFirst(line.count + 1))
        return (text, Int32(line) ?? -1)
    }

    /// Ends the shell: its namespaces, mounts and pins in them go with it.
    func close() {
        input.fileHandleForWriting.closeFile()
        process.waitUntilExit()
    }
}

extension KernelTests {
    @Suite(
        "BPF tokens: an unprivileged user namespace loads through a delegated bpffs", kernelTrait,
        .enabled(
            if: (Host.find("setpriv") != nil && Host.find("unshare") != nil) || Host.required,
            "util-linux's setpriv and unshare are not installed"))
    struct TokenTests {
        let objects = TestPaths.testData + "/obj/"

        /// Whether the running kernel is 6.9 or newer (bpffs delegation and `BPF_TOKEN_CREATE`).
        static var kernelHasTokens: Bool {
            var name = utsname()
            uname(&name)
            let release = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let numbers = release.split(separator: ".").prefix(2).map { Int($0.prefix { $0.isNumber }) ?? 0 }
            return numbers.count == 2 && (numbers[0], numbers[1]) >= (6, 9)
        }

        @Test("mounted for the namespace by `token mount`: loads with the token, EPERM without, typed refusals")
        func unprivilegedLoads() throws {
            let shell = try NamespaceShell()
            defer { shell.close() }
            // Inside, root maps to nobody: no capability in the initial namespace.
            #expect(
                shell.run("cat /proc/self/uid_map").output.split(separator: " ").map(String.init).prefix(2) == [
                    "0", "65534",
                ])
            // Two more: one delegating no map creation, one only array maps and socket filters.
            let noMapCreate = "/tmp/swiftbpf-token-\(getpid())-a", fewTypes = "/tmp/swiftbpf-token-\(getpid())-b"
            for dir in [noMapCreate, fewTypes] { #expect(mkdir(dir, 0o755) == 0 || errno == EEXIST) }
            defer { for dir in [noMapCreate, fewTypes] { rmdir(dir) } }
            let any = ["--delegate-cmds", "any", "--delegate-maps", "any", "--delegate-progs", "any"]
            let full = try Host.capture(
                Host.swiftbpf,
                ["token", "mount", "--pid", "\(shell.pid)", "/sys/fs/bpf"] + any + ["--delegate-attachs", "any"])
            if full.status != 0, !TokenTests.kernelHasTokens, !Host.required {
                print("token tests: skipped, this kernel predates BPF tokens (Linux 6.9): \(full.err)")
                return
            }
            try #require(full.status == 0, "token mount: \(full.err)")
            for (dir, options) in [
                (
                    noMapCreate,
                    ["--delegate-cmds", "prog_load:btf_load", "--delegate-progs", "any", "--delegate-attachs", "any"]
                ),
                (
                    fewTypes,
                    [
                        "--delegate-cmds", "any", "--delegate-maps", "array", "--delegate-progs", "socket_filter",
                        "--delegate-attachs", "any",
                    ]
                ),
            ] {
                let mounted = try Host.capture(
                    Host.swiftbpf, ["token", "mount", "--pid", "\(shell.pid)", dir] + options)
                try #require(mounted.status == 0, "token mount: \(mounted.err)")
            }
            let listed = shell.run("\(Host.swiftbpf) token list")
            #expect(listed.status == 0)
            #expect(listed.output.contains("token_info  /sys/fs/bpf\n\tallowed_cmds:\n\t  any\n"), "\(listed.output)")
            #expect(listed.output.contains("token_info  \(noMapCreate)\n\tallowed_cmds:\n\t  prog_load  btf_load\n"))
            #expect(listed.output.contains("\tallowed_progs:\n\t  socket_filter\n"))

            for object in ["minimal.bpfel.o", "globals.bpfel.o", "metadata.bpfel.o"] {
                // Without a token (an empty LIBBPF_BPF_TOKEN_PATH forbids the default one) the kernel refuses.
                let refused = shell.run("LIBBPF_BPF_TOKEN_PATH= \(Host.swiftbpf) prog load \(objects + object)")
                #expect(refused.status == 1 && refused.output.contains("EPERM"), "\(object): \(refused.output)")
                let loaded = shell.run("\(Host.swiftbpf) prog load --token /sys/fs/bpf \(objects + object)")
                #expect(loaded.status == 0, "\(object): \(loaded.output)")
            }
            // The default token (/sys/fs/bpf delegates): metadata bound and visible from outside.
            let pinned = shell.run("\(Host.swiftbpf) prog load \(objects)metadata.bpfel.o --pin-dir /sys/fs/bpf/m")
            try #require(pinned.status == 0, "\(pinned.output)")
            let ids = pinned.output.split(separator: "\n").compactMap { Int($0.prefix { $0 != ":" }) }
            #expect(ids.count == 2, "\(pinned.output)")
            if let bpftool = Host.find("bpftool") {
                for id in ids {
                    let shown = try Host.capture(bpftool, ["prog", "show", "id", "\(id)"])
                    #expect(shown.out.contains("\t\towner = \"team-observability\""), "\(shown.out)")
                    #expect(shown.out.contains("\t\tbuild = 20261129"))
                }
            } else {
                #expect(!Host.required, "bpftool is required in CI")
            }
            // What a token does not delegate is a typed refusal naming the mount option.
            for (dir, object, missing) in [
                (noMapCreate, "globals.bpfel.o", "the BPF token does not delegate command map_create (delegate_cmds)"),
                (fewTypes, "globals.bpfel.o", "program type syscall (delegate_progs)"),
                (fewTypes, "maps.bpfel.o", "map 'outer': the BPF token does not delegate map type array_of_maps"),
            ] {
                let refused = shell.run("\(Host.swiftbpf) prog load --token \(dir) \(objects + object)")
                #expect(refused.status == 1, "\(refused.output)")
                #expect(refused.output.contains(missing), "\(refused.output)")
            }
            let minimal = shell.run("\(Host.swiftbpf) prog load --token \(fewTypes) \(objects)minimal.bpfel.o")
            #expect(minimal.status == 0, "a socket filter is delegated: \(minimal.output)")
            // Feature probes through a token answer for the token, not for the host.
            for (dir, expected) in [
                (fewTypes, (socketFilter: "supported", xdp: "unsupported", array: "supported", hash: "unsupported")),
                (noMapCreate, (socketFilter: "supported", xdp: "supported", array: "unsupported", hash: "unsupported")),
            ] {
                let probed = shell.run("\(Host.swiftbpf) feature probe --json --token \(dir)")
                let report = try JSONSerialization.jsonObject(with: Data(probed.output.utf8)) as? [String: Any]
                let programs = report?["program_types"] as? [String: String]
                let maps = report?["map_types"] as? [String: String]
                #expect(programs?["socket_filter"] == expected.socketFilter && programs?["xdp"] == expected.xdp)
                #expect(maps?["array"] == expected.array && maps?["hash"] == expected.hash, "\(probed.output)")
            }
            let host = try Host.capture(Host.swiftbpf, ["feature", "probe", "--json"])
            let hostReport = try JSONSerialization.jsonObject(with: Data(host.out.utf8)) as? [String: Any]
            #expect((hostReport?["program_types"] as? [String: String])?["xdp"] == "supported", "the host's own rights")
        }

        @Test("a token cannot be made where the kernel forbids it, and says why")
        func refusals() throws {
            // The initial user namespace: no token (EOPNOTSUPP), whatever the mount delegates.
            #expect(throws: TokenError.self) { _ = try BPFToken(bpffs: "/sys/fs/bpf") }
            do {
                _ = try BPFToken(bpffs: "/nonexistent-\(getpid())")
                Issue.record("a token from a missing path")
            } catch {
                #expect("\(error)".contains("cannot open bpffs"))
            }
            // The default load in the initial namespace goes on without a token.
            var options = LoadOptions()
            options.token = .automatic
            _ = try loadTestData("minimal.bpfel.o", options)
            options.token = .path("/sys/fs/bpf")
            #expect(throws: LoadError.self) { _ = try loadTestData("minimal.bpfel.o", options) }
        }

        @Test("token mount refuses or fails cleanly: no hang, no child left, the kernel's reason shown")
        func mountFailures() throws {
            let shell = try NamespaceShell()
            defer { shell.close() }
            let timeout = try #require(Host.find("timeout"))
            let dir = "/tmp/swiftbpf-token-fail-\(getpid())"
            #expect(mkdir(dir, 0o755) == 0 || errno == EEXIST)
            defer { rmdir(dir) }
            let mount = ["20", Host.swiftbpf, "token", "mount", "--pid", "\(shell.pid)"]
            // A delegation the kernel refuses: fsconfig fails on the privileged side.
            let bad = try Host.capture(timeout, mount + [dir, "--delegate-cmds", "map_create,prog_load"])
            #expect(bad.status == 1 && bad.err.contains("fsconfig delegate_cmds"), "\(bad.status): \(bad.err)")
            let none = try Host.capture(timeout, mount + [dir])
            #expect(none.status == 2 && none.err.contains("say what to delegate"))
            let relative = try Host.capture(timeout, mount + ["tmp", "--delegate-cmds", "any"])
            #expect(relative.status == 1 && relative.err.contains("is relative"))
            let missing = try Host.capture(timeout, mount + [dir + "/missing", "--delegate-cmds", "any"])
            #expect(missing.status == 1 && missing.err.contains("move_mount"), "\(missing.err)")
            let own = try Host.capture(
                timeout, ["20", Host.swiftbpf, "token", "mount", "--pid", "\(getpid())", dir, "--delegate-cmds", "any"])
            #expect(own.status == 1 && own.err.contains("in this process's user namespace"))
            // Nothing stayed mounted in the namespace.
            #expect(!shell.run("cat /proc/self/mountinfo").output.contains(dir))
        }

        @Test("receiving a descriptor from a hostile peer: exactly one, or EBADMSG with every one closed")
        func receiveDescriptor() throws {
            let marker = "/tmp/swiftbpf-recv-\(getpid())"
            #expect(close(creat(marker, 0o600)) == 0)
            defer { unlink(marker) }
            /// This process's descriptors of the marker file.
            func held() -> Int {
                ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).filter {
                    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == marker
                }.count
            }
            for count in [0, 1, 2, 3, 40] {
                var pair: [Int32] = [-1, -1]
                try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
                let receiver = try FileDescriptor(owning: pair[1])
                try Self.send(count, of: marker, over: pair[0])
                close(pair[0])
                #expect(held() == 0, "in flight only")
                do {
                    let received = try DelegatedFilesystem.receiveDescriptor(over: receiver)
                    #expect(count == 1 && received.rawValue >= 0 && held() == 1)
                } catch {
                    #expect(count != 1 && error.errno == EBADMSG, "\(count): \(error)")
                }
                #expect(held() == 0, "\(count) descriptors sent: none kept")
            }
        }

        /// Sends one byte with `count` descriptors of `path` in one SCM_RIGHTS message, then closes them.
        static func send(_ count: Int, of path: String, over socket: Int32) throws {
            let files = (0..<count).map { _ in open(path, O_RDONLY) }
            defer { for file in files { close(file) } }
            var control = [UInt8](repeating: 0, count: 16 + ((4 * count + 7) & ~7))
            control.withUnsafeMutableBytes { raw in
                raw.storeBytes(of: 16 + 4 * count, toByteOffset: 0, as: Int.self)
                raw.storeBytes(of: SOL_SOCKET, toByteOffset: 8, as: Int32.self)
                raw.storeBytes(of: Int32(SCM_RIGHTS), toByteOffset: 12, as: Int32.self)
                for (i, file) in files.enumerated() {
                    raw.storeBytes(of: file, toByteOffset: 16 + 4 * i, as: Int32.self)
                }
            }
            var byte: UInt8 = 7
            let sent = withUnsafeMutableBytes(of: &byte) { payload in
                control.withUnsafeMutableBytes { controlBytes in
                    var vector = iovec(iov_base: payload.baseAddress, iov_len: 1)
                    return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                        var message = msghdr()
                        message.msg_iov = vectorPointer
                        message.msg_iovlen = 1
                        if count > 0 {
                            message.msg_control = controlBytes.baseAddress
                            message.msg_controllen = controlBytes.count
                        }
                        return sendmsg(socket, &message, 0)
                    }
                }
            }
            try #require(sent == 1)
        }

        @Test("mountinfo: delegating bpffs mounts listed with escaped paths; others and malformed lines skipped")
        func mountInfo() throws {
            let path = "/tmp/swiftbpf-mountinfo-\(getpid())"
            defer { unlink(path) }
            let lines = [
                "66 49 0:40 / /sys/fs/bpf rw,relatime - bpf none rw,delegate_cmds=any,delegate_maps=any",
                "67 49 0:41 / /run/a\\040b rw shared:5 - bpf bpf rw,delegate_progs=xdp:kprobe,delegate_attachs=0x3",
                "68 49 0:42 / /sys/fs/bpf2 rw - bpf bpf rw,mode=700",
                "69 49 0:43 / /x rw - ext4 /dev/sda rw,delegate_cmds=any",
                "70 - bpf", "", "- - - - - - bpf", "71 49 0:44 / /y rw - bpf",
            ]
            try lines.joined(separator: "\n").write(toFile: path, atomically: false, encoding: .utf8)
            let mounts = try DelegatedFilesystem.mounts(mountInfo: path)
            #expect(
                mounts == [
                    DelegatedFilesystem.Mount(path: "/sys/fs/bpf", commands: ["any"], maps: ["any"]),
                    DelegatedFilesystem.Mount(path: "/run/a b", programs: ["xdp", "kprobe"], attachTypes: ["0x3"]),
                ])
        }
    }
}
