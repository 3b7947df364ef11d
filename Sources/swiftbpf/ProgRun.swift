import BPF
import ELF64
import Glibc

extension ProgCommand {
    /// `prog run ID | --pinned PATH [--data-in FILE] [--data-out FILE] [--ctx-in FILE] [--ctx-out FILE] [--repeat N]`:
    /// a `BPF_PROG_TEST_RUN`, reported as `bpftool prog run` reports it.
    static func testRun(_ args: Arguments) throws {
        let program = try Program(opened: try args.openObject(.program, help: help))
        var repeatCount: UInt32 = 0
        if let text = args.option("repeat") {
            guard let n = UInt32(text) else {
                throw UsageError(message: "--repeat takes a count, not '\(text)'", help: help)
            }
            repeatCount = n
        }
        let data = try args.option("data-in").map(readFile) ?? []
        let context = try args.option("ctx-in").map(readFile) ?? []
        let result = try program.testRun(data: data, context: context, repeat: repeatCount)
        if let path = args.option("data-out") { try writeFile(path, result.data) }
        if let path = args.option("ctx-out") { try writeFile(path, result.context) }
        print(
            "Return value: \(result.returnValue), duration\(repeatCount > 1 ? " (average)" : ""): \(result.duration)ns")
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        if path == "-" {
            var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 1 << 16)
            while case let n = read(0, &chunk, chunk.count), n > 0 { bytes += chunk[..<n] }
            return bytes
        }
        let storage = try ByteStorage(contentsOfFile: path)
        return withExtendedLifetime(storage) { Array(storage.bytes) }
    }

    /// Writes `bytes` to `path` (`-`: standard output).
    /// Writes `bytes` to `path` (`-`: standard output). A regular file (or a new one) is written
    /// beside it and renamed over it once whole, so that a failed write leaves no truncated file;
    /// anything else (a device, a pipe) is written in place.
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        var status = stat()
        let inPlace = path == "-" || (stat(path, &status) == 0 && status.st_mode & S_IFMT != S_IFREG)
        let temporary = inPlace ? path : path + ".tmp-\(getpid())"
        let fd =
            path == "-"
            ? 1
            : open(temporary, inPlace ? O_WRONLY | O_TRUNC | O_CLOEXEC : O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw CommandFailure(description: "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else {
                let reason = String(cString: strerror(errno))
                if fd != 1 { close(fd) }
                if !inPlace { unlink(temporary) }
                throw CommandFailure(description: "cannot write \(path): \(reason)")
            }
            written += n
        }
        guard fd != 1 else { return }
        close(fd)
        guard !inPlace else { return }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CommandFailure(description: "cannot create \(path): \(reason)")
        }
    }
}
