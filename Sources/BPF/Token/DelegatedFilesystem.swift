import CBPFSyscall
import ELF64
import Glibc

/// A bpffs that delegates BPF rights to a user namespace: the privileged half of the BPF token
/// set-up, for container managers.
///
/// The kernel ties a bpffs to the user namespace of the process that opens its filesystem
/// context, while only a process privileged in the initial namespace may give it delegation
/// options. So the set-up takes two processes (as systemd and incus do it):
/// 1. inside the container's user namespace, ``openContext()`` (`fsopen("bpf")`), and the context
///    is sent to the manager (``sendDescriptor(_:over:)``);
/// 2. the manager calls ``create(context:delegating:)`` and sends the detached mount back;
/// 3. inside, ``attach(_:at:)`` mounts it (or `BPFToken(bpffs:)` takes `openat(mount, ".")`).
/// `swiftbpf token mount --pid PID PATH` does all three for a running process.
public enum DelegatedFilesystem {
    /// The delegation mount options, each in the kernel's syntax: `any`, names joined by `:`
    /// (`map_create:prog_load:btf_load`, `array:hash`, `socket_filter:xdp`), or a number; empty
    /// (the default) delegates nothing of that kind. Delegating tracing program types (`kprobe`,
    /// `tracing`, `any`) lets the namespace read kernel memory: grant what its programs need.
    public struct Options: Sendable, Equatable {
        public var commands: String
        public var maps: String
        public var programs: String
        public var attachTypes: String

        public init(
            commands: String = "", maps: String = "", programs: String = "", attachTypes: String = ""
        ) {
            self.commands = commands
            self.maps = maps
            self.programs = programs
            self.attachTypes = attachTypes
        }
    }

    /// `fsopen("bpf")`: a bpffs context owned by the calling process's user namespace.
    public static func openContext() throws(SyscallError) -> FileDescriptor {
        try FileDescriptor(owning: Int32(try Syscall.shim("fsopen(\"bpf\")") { sbpf_fsopen("bpf", fsopenCloexec) }))
    }

    /// Gives a context the delegation options, creates the filesystem and returns it as a detached
    /// mount (`fsconfig` × 4, `FSCONFIG_CMD_CREATE`, `fsmount`). Needs CAP_SYS_ADMIN in the initial
    /// user namespace.
    public static func create(
        context: borrowing FileDescriptor, delegating options: Options
    ) throws(SyscallError) -> FileDescriptor {
        let settings = [
            ("delegate_cmds", options.commands), ("delegate_maps", options.maps),
            ("delegate_progs", options.programs), ("delegate_attachs", options.attachTypes),
        ]
        for (key, value) in settings where !value.isEmpty {
            _ = try Syscall.shim("fsconfig \(key)=\(value)") {
                sbpf_fsconfig(context.rawValue, fsconfigSetString, key, value, 0)
            }
        }
        _ = try Syscall.shim("fsconfig create") { sbpf_fsconfig(context.rawValue, fsconfigCreate, nil, nil, 0) }
        return try FileDescriptor(
            owning: Int32(try Syscall.shim("fsmount") { sbpf_fsmount(context.rawValue, fsmountCloexec, 0) }))
    }

    /// Mounts a detached mount at `path` in the caller's mount namespace (`move_mount`).
    public static func attach(_ mount: borrowing FileDescriptor, at path: String) throws(SyscallError) {
        _ = try Syscall.shim("move_mount to '\(path)'") {
            sbpf_move_mount(mount.rawValue, "", AT_FDCWD, path, moveMountEmptyPath)
        }
    }

    /// The bpffs root of a detached mount, as `BPFToken(bpffs:)` takes it.
    public static func root(of mount: borrowing FileDescriptor) throws(SyscallError) -> FileDescriptor {
        try FileDescriptor(
            owning: try Syscall.call("openat(mount, \".\")") { openat(mount.rawValue, ".", O_RDONLY | O_DIRECTORY) })
    }

    /// A descriptor naming process `pid` (`pidfd_open`): unlike the number, it cannot come to name
    /// another process that reuses it.
    public static func processDescriptor(_ pid: Int32) throws(SyscallError) -> FileDescriptor {
        try FileDescriptor(owning: Int32(try Syscall.shim("pidfd_open(\(pid))") { sbpf_pidfd_open(pid, 0) }))
    }

    /// Moves the calling process into the mount namespace of `process` (a ``processDescriptor(_:)``)
    /// and, when `user`, its user namespace too, in one `setns`. The kernel demands a
    /// single-threaded caller for a user namespace: this is for a helper child process.
    public static func enterNamespaces(of process: borrowing FileDescriptor, user: Bool) throws(SyscallError) {
        let flags: Int32 = (user ? 0x1000_0000 : 0) | 0x0002_0000  // CLONE_NEWUSER, CLONE_NEWNS
        _ = try Syscall.shim("setns(mount\(user ? " and user" : "") namespaces of process \(process.rawValue))") {
            sbpf_setns(process.rawValue, flags)
        }
    }

    /// Sends a descriptor over a connected Unix socket (`SCM_RIGHTS`).
    public static func sendDescriptor(
        _ descriptor: borrowing FileDescriptor, over socket: borrowing FileDescriptor
    ) throws(SyscallError) {
        var control = ControlMessage(descriptor: descriptor.rawValue)
        _ = try withUnsafeMutableBytes(of: &control) { controlBytes in
            withMessage(control: controlBytes) { (message) throws(SyscallError) in
                try Syscall.call("sendmsg(SCM_RIGHTS)") { sendmsg(socket.rawValue, &message, 0) }
            }
        }.get()
    }

    /// Receives a descriptor sent with ``sendDescriptor(_:over:)``. The peer may be hostile (the
    /// container side): a message with no descriptor, more than one, or truncated control data is
    /// `EBADMSG`, and every descriptor it carried is closed.
    public static func receiveDescriptor(over socket: borrowing FileDescriptor) throws(SyscallError) -> FileDescriptor {
        let controlSize = 512  // room for the SCM_RIGHTS and SCM_CREDENTIALS a peer may pile on
        let control = UnsafeMutableRawBufferPointer.allocate(byteCount: controlSize, alignment: 8)
        defer { control.deallocate() }
        control.initializeMemory(as: UInt8.self, repeating: 0)
        let (count, controlLength, flags) = try withMessage(control: control) {
            (message) throws(SyscallError) -> (Int, Int, Int32) in
            let count = try Syscall.call("recvmsg(SCM_RIGHTS)") {
                recvmsg(socket.rawValue, &message, Int32(MSG_CMSG_CLOEXEC))
            }
            return (count, min(message.msg_controllen, controlSize), message.msg_flags)
        }.get()
        // Every descriptor that arrived, from every SCM_RIGHTS message (cmsghdr: length, level, type, data).
        var descriptors: [Int32] = []
        var offset = 0
        while offset + 16 <= controlLength {
            let length = control.load(fromByteOffset: offset, as: Int.self)
            let level = control.load(fromByteOffset: offset + 8, as: Int32.self)
            let type = control.load(fromByteOffset: offset + 12, as: Int32.self)
            guard length >= 16, length <= controlLength - offset else { break }
            if level == SOL_SOCKET, type == Int32(SCM_RIGHTS) {
                for at in stride(from: offset + 16, through: offset + length - 4, by: 4) {
                    descriptors.append(control.load(fromByteOffset: at, as: Int32.self))
                }
            }
            offset += (length + 7) & ~7
        }
        let truncated = flags & Int32(MSG_CTRUNC) != 0
        guard count == 1, descriptors.count == 1, !truncated, descriptors[0] >= 0 else {
            for descriptor in descriptors where descriptor >= 0 { close(descriptor) }
            throw SyscallError(
                operation: "recvmsg: expected one descriptor, received \(descriptors.count)"
                    + (truncated ? " (control data truncated)" : ""),
                errno: EBADMSG)
        }
        return try FileDescriptor(owning: descriptors[0])
    }

    /// A one-byte message (a descriptor must travel with data) whose control data is `control`.
    private static func withMessage<R>(
        control: UnsafeMutableRawBufferPointer, _ body: (inout msghdr) throws(SyscallError) -> R
    ) -> Result<R, SyscallError> {
        var byte: UInt8 = 0
        return withUnsafeMutableBytes(of: &byte) { payload in
            var vector = iovec(iov_base: payload.baseAddress, iov_len: 1)
            return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                var message = msghdr()
                message.msg_iov = vectorPointer
                message.msg_iovlen = 1
                message.msg_control = control.baseAddress
                message.msg_controllen = control.count
                return Result { () throws(SyscallError) -> R in try body(&message) }
            }
        }
    }

    /// `struct cmsghdr` carrying one descriptor (`CMSG_SPACE(sizeof(int))` on 64-bit Linux).
    private struct ControlMessage {
        var length: Int = 16 + 4  // CMSG_LEN(sizeof(int))
        var level: Int32 = SOL_SOCKET
        var type: Int32 = Int32(SCM_RIGHTS)
        var descriptor: Int32
        var padding: Int32 = 0

        init(descriptor: Int32) { self.descriptor = descriptor }
    }

    private static let fsopenCloexec: UInt32 = 1  // FSOPEN_CLOEXEC
    private static let fsconfigSetString: UInt32 = 1  // FSCONFIG_SET_STRING
    private static let fsconfigCreate: UInt32 = 6  // FSCONFIG_CMD_CREATE
    private static let fsmountCloexec: UInt32 = 1  // FSMOUNT_CLOEXEC
    private static let moveMountEmptyPath: UInt32 = 4  // MOVE_MOUNT_F_EMPTY_PATH
}

extension DelegatedFilesystem {
    /// A mounted bpffs that delegates something, as `/proc/self/mountinfo` shows it: each list holds
    /// the mount option's names (`map_create`, `hash`, `kprobe`…, or `any`, or a number the kernel
    /// could not name).
    public struct Mount: Sendable, Equatable {
        public var path: String
        public var commands: [String] = []
        public var maps: [String] = []
        public var programs: [String] = []
        public var attachTypes: [String] = []

        public init(
            path: String, commands: [String] = [], maps: [String] = [], programs: [String] = [],
            attachTypes: [String] = []
        ) {
            self.path = path
            self.commands = commands
            self.maps = maps
            self.programs = programs
            self.attachTypes = attachTypes
        }
    }

    /// The bpffs mounts in this process's mount namespace with any delegation, in mount order.
    public static func mounts(mountInfo path: String = "/proc/self/mountinfo") throws(SyscallError) -> [Mount] {
        let text: String
        do { text = try ByteStorage(contentsOfFile: path).text } catch {
            throw SyscallError(operation: "\(error.call) \(path)", errno: error.errno)
        }
        return text.split(separator: "\n").compactMap { mount(fromMountInfoLine: $0) }
    }

    /// One `mountinfo` line (`ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL…] - FSTYPE SOURCE SUPEROPTS`)
    /// as a delegating bpffs mount, or nil.
    static func mount(fromMountInfoLine line: Substring) -> Mount? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count >= 5, let separator = fields.firstIndex(of: "-"), separator >= 5,
            separator + 3 < fields.count, fields[separator + 1] == "bpf"
        else { return nil }
        var mount = Mount(path: unescapedMountPath(fields[4]))
        for option in fields[separator + 3].split(separator: ",") {
            let parts = option.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let names = parts[1].split(separator: ":").map(String.init)
            switch parts[0] {
            case "delegate_cmds": mount.commands = names
            case "delegate_maps": mount.maps = names
            case "delegate_progs": mount.programs = names
            case "delegate_attachs": mount.attachTypes = names
            default: break
            }
        }
        let delegates =
            !(mount.commands.isEmpty && mount.maps.isEmpty && mount.programs.isEmpty
            && mount.attachTypes.isEmpty)
        return delegates ? mount : nil
    }

    /// A mount point as `mountinfo` escapes it (`\040` for a space, `\011`, `\012`, `\134`).
    private static func unescapedMountPath(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        let raw = Array(field.utf8)
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "\\"), index + 3 < raw.count,
                raw[index + 1...index + 3].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") }),
                let value = UInt8(String(decoding: raw[index + 1...index + 3], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(raw[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
