import BPFObject
import ELF64
import Glibc

/// `BPF_PROG_LOAD`'s fields.
public struct ProgramAttributes: Sendable {
    public var type: ProgramType
    public var instructions: [Instruction]
    public var license: String
    public var name: String = ""
    public var kernelVersion: UInt32 = 0
    public var flags: UInt32 = 0
    public var expectedAttachType: AttachType?
    public var attachBTFID: UInt32 = 0
    public var btf: Int32?
    public var functionInfo: [FunctionRecord] = []
    public var lineInfo: [LineRecord] = []
    /// `fd_array`: descriptors that instructions name by index (module BTF for kfunc calls,
    /// maps for `BPF_PSEUDO_MAP_IDX` loads). Empty: none.
    public var fdArray: [Int32] = []

    public init(type: ProgramType, instructions: [Instruction], license: String) {
        self.type = type
        self.instructions = instructions
        self.license = license
    }
}

/// A program the verifier (or the kernel) refused, with the verifier's log when there is one.
public struct ProgramLoadError: Error, Sendable, CustomStringConvertible {
    public let program: String
    /// The program's type (a refusal can be specific to it: tracing programs need trampolines).
    public let type: ProgramType
    public let error: SyscallError
    /// The verifier log of the failed attempt (empty when the kernel refused before verifying).
    public let log: String

    public var description: String {
        let tail = log.isEmpty ? "" : "\nverifier log:\n" + log
        return "loading program '\(program)' failed: \(error)\(hint)\(tail)"
    }

    /// Why a kernel refuses a whole class of programs, where the refusal says it.
    private var hint: String {
        guard error.errno == EPERM, log.isEmpty, [.tracing, .lsm, .ext].contains(type) else { return "" }
        return " (refused before verification: for a \(type) program this usually means the kernel cannot build or may not use its BPF trampoline)"
    }
}

public enum ProgramCommands {
    /// `BPF_F_SLEEPABLE` and `BPF_F_XDP_HAS_FRAGS`.
    public static let sleepable: UInt32 = 1 << 4
    public static let xdpHasFragments: UInt32 = 1 << 5

    /// Loads a program: first without a log; on failure again with a verifier log that grows until the whole log fits.
    public static func load(_ a: ProgramAttributes) throws(ProgramLoadError) -> FileDescriptor {
        do {
            return try attempt(a, logLevel: 0, log: nil)
        } catch let first {
            var size = 1 << 16
            while true {
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
                defer { buffer.deallocate() }
                buffer.initializeMemory(as: UInt8.self, repeating: 0)
                do throws(SyscallError) {
                    // A retry with a log may succeed (a transient failure): keep its program.
                    return try attempt(a, logLevel: 1, log: buffer)
                } catch {
                    let log = String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
                    if error.errno == ENOSPC, size < 1 << 28 {
                        size *= 4
                        continue
                    }
                    throw ProgramLoadError(program: a.name, type: a.type, error: error.errno == ENOSPC ? first : error, log: log)
                }
            }
        }
    }

    private static func attempt(_ a: ProgramAttributes, logLevel: UInt32, log: UnsafeMutableRawBufferPointer?) throws(SyscallError) -> FileDescriptor {
        // Array.withUnsafeBytes rethrows untyped: the closures hand back a Result instead.
        let result = Instruction.withHostBytes(of: a.instructions) { code in
            a.license.withCString { license in
                a.functionInfo.withKernelRecords { functions in
                    a.lineInfo.withKernelRecords { lines in
                        a.fdArray.withUnsafeBytes { fdArray -> Result<Int32, SyscallError> in
                            var attr = Attribute(size: 148)
                            attr.set(a.type.rawValue, at: 0)
                            attr.set(UInt32(a.instructions.count), at: 4)
                            attr.set(code.baseAddress, at: 8)
                            attr.set(UnsafeRawPointer(license), at: 16)
                            if let log {
                                attr.set(logLevel, at: 24)
                                attr.set(UInt32(log.count), at: 28)
                                attr.set(UnsafeRawPointer(log.baseAddress), at: 32)
                            }
                            attr.set(a.kernelVersion, at: 40)
                            attr.set(a.flags, at: 44)
                            attr.set(name: a.name, at: 48)
                            if let t = a.expectedAttachType { attr.set(t.rawValue, at: 68) }
                            if let btf = a.btf {
                                attr.set(UInt32(bitPattern: btf), at: 72)
                                if !a.functionInfo.isEmpty {
                                    attr.set(UInt32(8), at: 76)
                                    attr.set(functions.baseAddress, at: 80)
                                    attr.set(UInt32(a.functionInfo.count), at: 88)
                                }
                                if !a.lineInfo.isEmpty {
                                    attr.set(UInt32(16), at: 92)
                                    attr.set(lines.baseAddress, at: 96)
                                    attr.set(UInt32(a.lineInfo.count), at: 104)
                                }
                            }
                            attr.set(a.attachBTFID, at: 108)
                            if !a.fdArray.isEmpty { attr.set(fdArray.baseAddress, at: 120) }
                            do throws(SyscallError) { return .success(try attr.call(.programLoad, "BPF_PROG_LOAD '\(a.name)'")) } catch { return .failure(error) }
                        }
                    }
                }
            }
        }
        return FileDescriptor(owning: try result.get())
    }

    /// `BPF_PROG_BIND_MAP`: ties `map` to the program's lifetime and `map_ids`.
    public static func bindMap(program: borrowing FileDescriptor, map: borrowing FileDescriptor, flags: UInt32 = 0) throws(SyscallError) {
        try bindMap(program: program.rawValue, map: map.rawValue, flags: flags)
    }

    /// `BPF_PROG_BIND_MAP` on descriptors owned elsewhere (e.g. by a ``LoadedObject``).
    public static func bindMap(program: Int32, map: Int32, flags: UInt32 = 0) throws(SyscallError) {
        var attr = Attribute(size: 12)
        attr.set(UInt32(bitPattern: program), at: 0)
        attr.set(UInt32(bitPattern: map), at: 4)
        attr.set(flags, at: 8)
        _ = try attr.call(.programBindMap, "BPF_PROG_BIND_MAP")
    }
}

public enum BTFCommands {
    /// `BPF_BTF_LOAD`; on failure the kernel's BTF log is in the error's operation text (a second
    /// attempt asks for it: a log buffer on every load would cost each one a 64 KiB fill).
    public static func load(_ bytes: [UInt8]) throws(SyscallError) -> FileDescriptor {
        if case let .success(fd) = attempt(bytes, log: nil) { return FileDescriptor(owning: fd) }
        var log = [UInt8](repeating: 0, count: 1 << 16)
        let result = log.withUnsafeMutableBytes { attempt(bytes, log: $0) }
        switch result {
        case let .success(fd): return FileDescriptor(owning: fd)
        case let .failure(error):
            let text = String(decoding: log.prefix { $0 != 0 }, as: UTF8.self)
            throw SyscallError(operation: "BPF_BTF_LOAD (\(text.split(separator: "\n").suffix(3).joined(separator: "; ")))", errno: error.errno)
        }
    }

    private static func attempt(_ bytes: [UInt8], log: UnsafeMutableRawBufferPointer?) -> Result<Int32, SyscallError> {
        bytes.withUnsafeBytes { blob in
            var attr = Attribute(size: 32)
            attr.set(blob.baseAddress, at: 0)
            attr.set(UInt32(blob.count), at: 16)
            if let log {
                attr.set(UnsafeRawPointer(log.baseAddress), at: 8)
                attr.set(UInt32(log.count), at: 20)
                attr.set(UInt32(1), at: 24)
            }
            do throws(SyscallError) { return .success(try attr.call(.btfLoad, "BPF_BTF_LOAD")) } catch { return .failure(error) }
        }
    }
}

public enum ObjectCommands {
    /// `directory/name`, when `name` (read from an object, so untrusted) is one path component:
    /// not empty, `.` or `..`, without `/` or NUL. Nil otherwise: no pin may land outside `directory`.
    public static func path(in directory: String, named name: String) -> String? {
        guard !name.isEmpty, name != ".", name != "..", !name.utf8.contains(UInt8(ascii: "/")), !name.utf8.contains(0) else { return nil }
        return directory + "/" + name
    }

    /// `BPF_OBJ_PIN`: pins a map, program or link at `path` on a bpffs.
    public static func pin(descriptor fd: Int32, at path: String) throws(SyscallError) {
        let bytes = Array(path.utf8) + [0]
        let result = bytes.withUnsafeBytes { p -> Result<Void, SyscallError> in
            var attr = Attribute(size: 16)
            attr.set(p.baseAddress, at: 0)
            attr.set(UInt32(bitPattern: fd), at: 8)
            do throws(SyscallError) { _ = try attr.call(.objectPin, "BPF_OBJ_PIN \(path)"); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }
}
