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
    /// (`map_create:prog_load:btf_load`, `array:hash`, `socket_filter:xdp`), or a number.
    public struct Options: Sendable, Equatable {
        public var commands: String
        public var maps: String
        public var programs: String
        public var attachTypes: String

        public init(
            commands: String = "any", maps: String = "any", programs: String = "any", attachTypes: String = "any"
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
        context: borrowing FileDescriptor, delegating options: Options = Options()
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

    /// The namespaces a container manager's helper process enters (`setns`).
    public enum Namespace: Int32, Sendable {
        case user = 0x1000_0000  // CLONE_NEWUSER
        case mount = 0x0002_0000  // CLONE_NEWNS
    }

    /// Moves the calling process into the namespace `descriptor` (`/proc/PID/ns/user` or `…/mnt`)
    /// names. The kernel demands a single-threaded caller for a user namespace: a child process.
    public static func enter(_ namespace: Namespace, _ descriptor: borrowing FileDescriptor) throws(SyscallError) {
        _ = try Syscall.shim("setns(\(namespace))") { sbpf_setns(descriptor.rawValue, namespace.rawValue) }
    }

    /// Sends a descriptor over a connected Unix socket (`SCM_RIGHTS`).
    public static func sendDescriptor(
        _ descriptor: borrowing FileDescriptor, over socket: borrowing FileDescriptor
    ) throws(SyscallError) {
        var control = ControlMessage(descriptor: descriptor.rawValue)
        var byte: UInt8 = 0
        let sent = withUnsafeMutableBytes(of: &byte) { payload in
            withUnsafeMutableBytes(of: &control) { controlBytes in
                var vector = iovec(iov_base: payload.baseAddress, iov_len: 1)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = MemoryLayout<ControlMessage>.size
                    return Result { () throws(SyscallError) -> Int in
                        try Syscall.call("sendmsg(SCM_RIGHTS)") { sendmsg(socket.rawValue, &message, 0) }
                    }
                }
            }
        }
        _ = try sent.get()
    }

    /// Receives a descriptor sent with ``sendDescriptor(_:over:)``; anything else is `EBADMSG`.
    public static func receiveDescriptor(over socket: borrowing FileDescriptor) throws(SyscallError) -> FileDescriptor {
        var control = ControlMessage(descriptor: -1)
        var byte: UInt8 = 0
        let received = withUnsafeMutableBytes(of: &byte) { payload in
            withUnsafeMutableBytes(of: &control) { controlBytes in
                var vector = iovec(iov_base: payload.baseAddress, iov_len: 1)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = MemoryLayout<ControlMessage>.size
                    return Result { () throws(SyscallError) -> (Int, Int) in
                        let count = try Syscall.call("recvmsg(SCM_RIGHTS)") {
                            recvmsg(socket.rawValue, &message, Int32(MSG_CMSG_CLOEXEC))
                        }
                        return (count, message.msg_controllen)
                    }
                }
            }
        }
        let (count, controlLength) = try received.get()
        // One descriptor exactly; any other message is refused (a descriptor that came with it closed).
        guard count == 1, controlLength >= MemoryLayout<ControlMessage>.size, control.level == SOL_SOCKET,
            control.type == Int32(SCM_RIGHTS), control.length == ControlMessage.dataLength, control.descriptor >= 0
        else {
            if controlLength >= MemoryLayout<ControlMessage>.size, control.descriptor >= 0 { close(control.descriptor) }
            throw SyscallError(operation: "recvmsg: no descriptor in the message", errno: EBADMSG)
        }
        return try FileDescriptor(owning: control.descriptor)
    }

    /// `struct cmsghdr` carrying one descriptor (`CMSG_SPACE(sizeof(int))` on 64-bit Linux).
    private struct ControlMessage {
        static let dataLength = 16 + 4  // CMSG_LEN(sizeof(int))
        var length: Int = ControlMessage.dataLength
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
