import BPF
import BPFObject
import Glibc
import TestSupport
import Testing

/// Whether this host lets us call bpf(): creating a one-entry array map succeeds.
/// Where it is refused (EPERM without CAP_BPF), kernel tests skip, except under
/// `SWIFTBPF_REQUIRE_KERNEL=1` (CI), where they run and fail.
let kernelAvailable: Bool = {
    do {
        _ = try Map.create(MapAttributes(type: .array, keySize: 4, valueSize: 4, maxEntries: 1, name: "probe"))
        return true
    } catch {
        print("kernel tests: bpf() refused (\(error)); they skip unless SWIFTBPF_REQUIRE_KERNEL=1")
        return false
    }
}()

let kernelTrait = ConditionTrait.enabled(if: kernelAvailable || Host.required, "bpf() is not permitted on this host")

func loadTestData(_ name: String, _ options: LoadOptions = LoadOptions()) throws -> LoadedObject {
    try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/" + name).load(options)
}

/// Load options whose maps pinned by name go under `root` instead of /sys/fs/bpf.
func pinningUnder(_ root: String) -> LoadOptions {
    var options = LoadOptions()
    options.pinRoot = root
    return options
}

/// The value of key 0 of an array map.
func firstValue(_ fd: Map, size: Int) throws -> [UInt8] {
    try fd.value([0, 0, 0, 0]).prefix(size).map { $0 }
}

extension Optional {
    /// The value, or a test failure naming what was missing.
    func required(_ what: String) throws -> Wrapped {
        guard let self else { throw MissingValue(what: what) }
        return self
    }
}

struct MissingValue: Error, CustomStringConvertible {
    let what: String
    var description: String { "missing: \(what)" }
}

/// A fresh pin root on bpffs for one test, removed with everything in it afterwards.
func withPinRoot(_ body: (String) throws -> Void) rethrows {
    #expect(Host.ensureBPFFS())
    let root = "/sys/fs/bpf/swiftbpf-pins-\(getpid())"
    #expect(mkdir(root, 0o700) == 0 || errno == EEXIST)
    defer {
        if let dir = opendir(root) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != ".", name != ".." { unlink(root + "/" + name) }
            }
            closedir(dir)
        }
        rmdir(root)
    }
    try body(root)
}

/// The entries of a directory, sorted.
func entries(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != ".", name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// Every suite that makes kernel objects, nested here and run one test at a time: a test
/// counting this process's BPF descriptors then sees its own alone, whether it is
/// synchronous (under ``KernelObjects/exclusively(_:)``) or asynchronous (which cannot be).
@Suite("On the kernel", .serialized)
struct KernelTests {}

extension Map {
    /// The value of `key`, which must be there (`ENOENT` otherwise, as the raw command reports it).
    func value(_ key: [UInt8]) throws(SyscallError) -> [UInt8] {
        guard let value = try lookup(key) else { throw SyscallError(operation: "BPF_MAP_LOOKUP_ELEM", errno: ENOENT) }
        return value
    }
}
