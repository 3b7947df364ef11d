import Foundation
import Synchronization

/// Locations of the repository's test inputs, found from this source file.
public enum TestPaths {
    /// The package root.
    public static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/TestSupport/TestPaths.swift
        return parts.joined(separator: "/")
    }()

    public static let testData = root + "/TestData"

    /// `../shared/corpus` beside the checkout, when present.
    public static let corpus = root + "/../shared/corpus"

    /// The committed objects in `TestData/obj`, sorted, as full paths.
    public static var testDataObjects: [String] {
        let dir = testData + "/obj"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".o") }.sorted().map { dir + "/" + $0 }
    }

    /// Every regular file under the corpus (empty when it is absent), as (relative, full) paths.
    public static var corpusFiles: [(relative: String, path: String)] {
        guard FileManager.default.fileExists(atPath: corpus) else { return [] }
        let all = FileManager.default.enumerator(atPath: corpus)?.compactMap { $0 as? String } ?? []
        return all.sorted().compactMap { relative in
            var isDirectory: ObjCBool = false
            let path = corpus + "/" + relative
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                return nil
            }
            return (relative, path)
        }
    }
}

/// Where tests meet the host: external tools and the kernel.
public enum Host {
    /// CI sets `SWIFTBPF_REQUIRE_KERNEL=1`: what would be skipped elsewhere must run there.
    public static var required: Bool { ProcessInfo.processInfo.environment["SWIFTBPF_REQUIRE_KERNEL"] == "1" }

    /// The full path of `tool` on PATH (and the usual sbin folders), if installed.
    public static func find(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for dir in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/local/sbin"] {
            let candidate = dir + "/" + tool
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs a command and returns its standard output and exit status.
    public static func run(_ executable: String, _ arguments: [String]) throws -> (output: Data, status: Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (output, process.terminationStatus)
    }
}

/// Serializes tests that create kernel objects, so that counting this process's BPF
/// descriptors before and after an operation measures that operation alone.
public enum KernelObjects {
    private static let lock = Mutex(())

    public static func exclusively<R>(_ body: () throws -> R) rethrows -> R {
        try lock.withLock { _ in try body() }
    }

    /// How many of this process's descriptors refer to BPF maps, programs, links or BTF.
    public static func openCount() -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.filter { entry in
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + entry)) ?? ""
            return target.hasPrefix("anon_inode:bpf") || target == "anon_inode:btf"
        }.count
    }
}

extension Host {
    /// The `swiftbpf` executable built beside this test bundle.
    public static var swiftbpf: String {
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("swiftbpf").path
    }

    /// Mounts bpffs at /sys/fs/bpf when it is not mounted there; false when that fails.
    public static func ensureBPFFS() -> Bool {
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        if mounts.split(separator: "\n").contains(where: {
            $0.split(separator: " ").dropFirst().prefix(2) == ["/sys/fs/bpf", "bpf"]
        }) {
            return true
        }
        try? FileManager.default.createDirectory(atPath: "/sys/fs/bpf", withIntermediateDirectories: true)
        return (try? run("/bin/mount", ["-t", "bpf", "bpf", "/sys/fs/bpf"]).status) == 0
    }

    /// Runs a command (in `directory`, when given) and returns its standard output as text, its standard error and its status.
    public static func capture(
        _ executable: String, _ arguments: [String], in directory: String? = nil
    ) throws -> (out: String, err: String, status: Int32) {
        let result = try captureEnding(executable, arguments, in: directory)
        return (result.out, result.err, result.status)
    }

    /// As ``capture(_:_:in:)``, also saying whether the command ended by a signal (a trap) rather than an exit.
    public static func captureEnding(
        _ executable: String, _ arguments: [String], in directory: String? = nil
    ) throws
        -> (out: String, err: String, status: Int32, signaled: Bool)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Standard error is drained beside standard output: a child that fills one pipe while the
        // other is read would wait forever.
        let errors = Mutex(Data()), drained = DispatchSemaphore(value: 0), errorHandle = err.fileHandleForReading
        Thread {
            let data = errorHandle.readDataToEndOfFile()
            errors.withLock { $0 = data }
            drained.signal()
        }.start()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        let e = errors.withLock { $0 }
        process.waitUntilExit()
        return (
            String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self), process.terminationStatus,
            process.terminationReason == .uncaughtSignal
        )
    }
}

extension Host {
    /// The features CI declares this host refuses (`SWIFTBPF_HOST_REFUSES`, comma-separated names
    /// such as `fentry,kprobe,netkit`): .ci/run states them, so that the list is a fact checked on
    /// every run, not an assumption in a test.
    public static var declaredRefusals: Set<String> {
        Set((ProcessInfo.processInfo.environment["SWIFTBPF_HOST_REFUSES"] ?? "").split(separator: ",").map(String.init))
    }

    /// For a test that accepts "`feature` works" or "this host refuses `feature`": prints which it
    /// saw and, under SWIFTBPF_REQUIRE_KERNEL=1, returns a failure message when that differs from
    /// what CI declared (a refusal not declared means the feature went unexercised on a host that
    /// should run it; a declared refusal that worked means the declaration is stale). Nil when fine.
    public static func unexpectedOutcome(_ feature: String, refused: Bool) -> String? {
        print("host outcome: \(feature) \(refused ? "refused" : "exercised")")
        guard required else { return nil }
        let declared = declaredRefusals.contains(feature)
        if refused, !declared {
            return "\(feature) was refused, but SWIFTBPF_HOST_REFUSES does not declare it: the feature went unexercised"
        }
        if !refused, declared {
            return "\(feature) worked, but SWIFTBPF_HOST_REFUSES declares it refused: update .ci/run"
        }
        return nil
    }

    /// Fails (returns a message) under SWIFTBPF_REQUIRE_KERNEL=1 when `what` is missing; nil otherwise, so that a
    /// test may skip its body on a laptop but never in CI.
    public static func missing(_ what: String, present: Bool) -> String? {
        guard !present else { return nil }
        print("\(what): not present")
        return required ? "\(what) is required under SWIFTBPF_REQUIRE_KERNEL=1" : nil
    }
}
