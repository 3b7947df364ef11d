import BPFObject
import ELF64
import Glibc

/// `BPF_PROG_LOAD`'s fields. The descriptors (`btf`, `fdArray`) are the caller's, open during the load.
package struct ProgramAttributes: Sendable {
    package var type: ProgramType
    package var instructions: [Instruction]
    package var license: String
    package var name: String = ""
    package var kernelVersion: UInt32 = 0
    package var flags: UInt32 = 0
    package var expectedAttachType: AttachType?
    package var attachBTFID: UInt32 = 0
    package var btf: Int32?
    package var functionInfo: [FunctionRecord] = []
    package var lineInfo: [LineRecord] = []
    /// `fd_array`: descriptors that instructions name by index (module BTF for kfunc calls,
    /// maps for `BPF_PSEUDO_MAP_IDX` loads). Empty: none.
    package var fdArray: [Int32] = []
    /// The BPF token to load with (`BPF_F_TOKEN_FD`), open during the load.
    package var token: Int32?

    package init(type: ProgramType, instructions: [Instruction], license: String) {
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
        return
            " (refused before verification: for a \(type) program this usually means the kernel cannot build or may not use its BPF trampoline)"
    }
}

package enum ProgramCommands {
    /// `BPF_F_SLEEPABLE` and `BPF_F_XDP_HAS_FRAGS`.
    package static let sleepable: UInt32 = 1 << 4
    package static let xdpHasFragments: UInt32 = 1 << 5

    /// Loads a program: first without a log; on failure again with a verifier log that grows until the whole log fits.
    package static func load(_ a: ProgramAttributes) throws(ProgramLoadError) -> FileDescriptor {
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
                    throw ProgramLoadError(
                        program: a.name, type: a.type, error: error.errno == ENOSPC ? first : error, log: log)
                }
            }
        }
    }

    private static func attempt(
        _ a: ProgramAttributes, logLevel: UInt32, log: UnsafeMutableRawBufferPointer?
    ) throws(SyscallError) -> FileDescriptor {
        // The fields that are not pointers are set first: the closures below capture `attr` by
        // reference and only the few arrays they need (capturing `a` would copy it whole).
        var attr = ProgLoadAttr()
        attr.progType = a.type.rawValue
        attr.insnCount = UInt32(a.instructions.count)
        if let log {
            attr.logLevel = logLevel
            attr.logSize = UInt32(log.count)
            attr.logBuf = kernelAddress(log.baseAddress)
        }
        attr.kernVersion = a.kernelVersion
        attr.progFlags = a.flags
        attr.progName = a.name
        if let t = a.expectedAttachType { attr.expectedAttachType = t.rawValue }
        if let btf = a.btf {
            attr.progBTFFD = UInt32(bitPattern: btf)
            if !a.functionInfo.isEmpty {
                attr.funcInfoRecSize = 8
                attr.funcInfoCount = UInt32(a.functionInfo.count)
            }
            if !a.lineInfo.isEmpty {
                attr.lineInfoRecSize = 16
                attr.lineInfoCount = UInt32(a.lineInfo.count)
            }
        }
        attr.attachBTFID = a.attachBTFID
        if let token = a.token {
            attr.progFlags |= tokenFlag
            attr.progTokenFD = token
        }
        let (name, license, fdArray, lineInfo) = (a.name, a.license, a.fdArray, a.lineInfo)
        // The record helpers take untyped closures: the innermost hands back a Result.
        let result = Instruction.withHostBytes(of: a.instructions) { code in
            a.functionInfo.withKernelRecords { functions in
                lineInfo.withKernelRecords { lines in
                    Result { () throws(SyscallError) -> Int32 in
                        try license.withKernelString { (license) throws(SyscallError) in
                            try fdArray.withBytes { (fdArray) throws(SyscallError) in
                                attr.insns = kernelAddress(code.baseAddress)
                                attr.license = kernelAddress(license)
                                // (The counts are set only when the program goes with BTF.)
                                if attr.funcInfoCount > 0 { attr.funcInfo = kernelAddress(functions.baseAddress) }
                                if attr.lineInfoCount > 0 { attr.lineInfo = kernelAddress(lines.baseAddress) }
                                if !fdArray.isEmpty { attr.fdArray = kernelAddress(fdArray.baseAddress) }
                                return try Syscall.bpf(.programLoad, &attr, "BPF_PROG_LOAD '\(name)'")
                            }
                        }
                    }
                }
            }
        }
        return try FileDescriptor(owning: try result.get())
    }

    /// `BPF_PROG_BIND_MAP`: ties `map` to the program's lifetime and `map_ids`.
    package static func bindMap(program: Int32, map: Int32, flags: UInt32 = 0) throws(SyscallError) {
        var attr = ProgBindMapAttr()
        attr.progFD = UInt32(bitPattern: program)
        attr.mapFD = UInt32(bitPattern: map)
        attr.flags = flags
        _ = try Syscall.bpf(.programBindMap, &attr, "BPF_PROG_BIND_MAP")
    }
}

package enum BTFCommands {
    /// `BPF_BTF_LOAD`; on failure the kernel's BTF log is in the error's operation text (a second
    /// attempt asks for it: a log buffer on every load would cost each one a 64 KiB fill).
    package static func load(_ bytes: [UInt8], token: Int32? = nil) throws(SyscallError) -> FileDescriptor {
        try FileDescriptor(
            owning: try bytes.withBytes { (blob) throws(SyscallError) in try load(blob, token: token).release() })
    }

    /// Loads the BTF blob `bytes` (which the kernel copies: they need live only for the call).
    package static func load(
        _ bytes: UnsafeRawBufferPointer, token: Int32? = nil
    ) throws(SyscallError) -> FileDescriptor {
        if let fd = try? attempt(bytes, token: token, log: nil) { return try FileDescriptor(owning: fd) }
        var log = [UInt8](repeating: 0, count: 1 << 16)
        do throws(SyscallError) {
            return try FileDescriptor(
                owning: try log.withMutableBytes { (buffer) throws(SyscallError) in
                    try attempt(bytes, token: token, log: buffer)
                })
        } catch {
            let text = String(decoding: log.prefix { $0 != 0 }, as: UTF8.self)
            throw SyscallError(
                operation: "BPF_BTF_LOAD (\(text.split(separator: "\n").suffix(3).joined(separator: "; ")))",
                errno: error.errno)
        }
    }

    private static func attempt(
        _ blob: UnsafeRawBufferPointer, token: Int32?, log: UnsafeMutableRawBufferPointer?
    ) throws(SyscallError) -> Int32 {
        var attr = BTFLoadAttr()
        attr.btf = kernelAddress(blob.baseAddress)
        attr.btfSize = UInt32(clamping: blob.count)  // past 4 GiB the kernel reads a prefix, and refuses it
        if let log {
            attr.btfLogBuf = kernelAddress(log.baseAddress)
            attr.btfLogSize = UInt32(log.count)
            attr.btfLogLevel = 1
        }
        if let token {
            attr.btfFlags |= tokenFlag
            attr.btfTokenFD = token
        }
        return try Syscall.bpf(.btfLoad, &attr, "BPF_BTF_LOAD")
    }
}

package enum ObjectCommands {
    /// `directory/name`, when `name` (read from an object, so untrusted) is one path component:
    /// not empty, `.` or `..`, without `/` or NUL. Nil otherwise: no pin may land outside `directory`.
    package static func path(in directory: String, named name: String) -> String? {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count > 2 || bytes.contains(where: { $0 != UInt8(ascii: ".") }),
            !bytes.contains(where: { $0 == UInt8(ascii: "/") || $0 == 0 })
        else { return nil }
        var path = directory  // one allocation, at the final size
        path.reserveCapacity(directory.utf8.count + 1 + bytes.count)
        path.append("/")
        path.append(name)
        return path
    }

    /// `BPF_OBJ_PIN`: pins a map, program or link at `path` on a bpffs.
    package static func pin(_ object: borrowing FileDescriptor, at path: String) throws(SyscallError) {
        try path.withKernelString { (p) throws(SyscallError) in
            var attr = ObjectAttr()
            attr.pathname = kernelAddress(p)
            attr.bpfFD = UInt32(bitPattern: object.rawValue)
            _ = try Syscall.bpf(.objectPin, &attr, "BPF_OBJ_PIN \(path)")
        }
    }
}
