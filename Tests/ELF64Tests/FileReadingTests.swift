import ELF64
import Foundation
import Glibc
import Testing

/// Files are untrusted too: one that shrinks under the reader, or one that never ends.
@Suite("Reading files")
struct FileReadingTests {
    static func temporary(_ name: String) -> String { NSTemporaryDirectory() + "swiftbpf-\(getpid())-\(name)" }

    @Test("a small file truncated after it was read stays readable (it is read, not mapped: no SIGBUS)")
    func truncatedSmallFile() throws {
        let path = Self.temporary("shrinks.o")
        defer { unlink(path) }
        try Data(repeating: 0x5a, count: 64 << 10).write(to: URL(fileURLWithPath: path))
        let storage = try ByteStorage(contentsOfFile: path)
        #expect(truncate(path, 0) == 0)
        #expect(storage.bytes.count == 64 << 10 && storage.bytes.allSatisfy { $0 == 0x5a })
    }

    @Test("a large file is mapped unless the caller says not to; read, it survives truncation too")
    func largeFileMappingChoice() throws {
        let path = Self.temporary("large.o")
        defer { unlink(path) }
        try Data(repeating: 0xa5, count: ByteStorage.mappingThreshold + 4096).write(to: URL(fileURLWithPath: path))
        let read = try ByteStorage(contentsOfFile: path, mapping: false)
        #expect(truncate(path, 0) == 0)
        #expect(read.bytes.count == ByteStorage.mappingThreshold + 4096 && read.bytes.last == 0xa5)
    }

    @Test("the read limit bounds reads, not mappings: a large file maps whatever the limit (uprobes on big binaries)")
    func limitIsForReads() throws {
        let path = Self.temporary("mapped-large.o")
        defer { unlink(path) }
        try Data(repeating: 1, count: 2 << 20).write(to: URL(fileURLWithPath: path))
        #expect(try ByteStorage(contentsOfFile: path, maximumSize: 1 << 20).bytes.count == 2 << 20)
        #expect(throws: SystemError(call: "read", path: path, errno: EFBIG)) {
            _ = try ByteStorage(contentsOfFile: path, mapping: false, maximumSize: 1 << 20)
        }
    }

    @Test("a device or stream longer than the limit is an EFBIG error, not an unbounded read")
    func unboundedSources() throws {
        #expect(throws: SystemError(call: "read", path: "/dev/zero", errno: EFBIG)) {
            _ = try ByteStorage(contentsOfFile: "/dev/zero", maximumSize: 1 << 20)
        }
        // The default limit holds too (256 MiB of zeros, then EFBIG).
        #expect(throws: SystemError(call: "read", path: "/dev/zero", errno: EFBIG)) {
            _ = try ByteStorage(contentsOfFile: "/dev/zero")
        }
        let path = Self.temporary("big.o")
        defer { unlink(path) }
        try Data(count: 8192).write(to: URL(fileURLWithPath: path))
        #expect(throws: SystemError(call: "read", path: path, errno: EFBIG)) {
            _ = try ByteStorage(contentsOfFile: path, maximumSize: 8191)
        }
        #expect(try ByteStorage(contentsOfFile: path, maximumSize: 8192).bytes.count == 8192)
    }

    @Test("a FIFO with no writer opens without waiting for one and reads as empty")
    func fifo() throws {
        let path = Self.temporary("fifo")
        defer { unlink(path) }
        #expect(mkfifo(path, 0o600) == 0)
        #expect(try ByteStorage(contentsOfFile: path).bytes.isEmpty)
    }
}
