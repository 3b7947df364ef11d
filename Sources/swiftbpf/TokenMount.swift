import BPF
import ELF64
import Glibc

/// `swiftbpf token mount`: the two halves of a delegated bpffs for a running process, done by
/// this process (the privileged half) and a child of it that enters the process's namespaces.
enum TokenMount {
    /// Mounts a bpffs delegating `options` at `path` in the mount namespace of `pid`, owned by its
    /// user namespace. The child opens the filesystem context there (the kernel gives the bpffs to
    /// the opener's user namespace) and attaches the mount this process creates from it.
    static func mount(forProcess pid: Int32, at path: String, _ options: DelegatedFilesystem.Options) throws {
        // fork() is safe only while this process has one thread; setns() into a user namespace demands it.
        guard threadCount() == 1 else {
            throw CommandFailure(description: "token mount must run single-threaded (found \(threadCount()) threads)")
        }
        let sameUserNamespace = try namespaceInode(getpid(), "user") == namespaceInode(pid, "user")
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw SyscallError(operation: "socketpair", errno: errno)
        }
        let parentEnd = try FileDescriptor(owning: pair[0])
        let child = fork()
        if child < 0 {
            close(pair[1])
            throw SyscallError(operation: "fork", errno: errno)
        }
        if child == 0 {
            _ = parentEnd.release()  // the child's copy: left to exit
            insideNamespaces(
                socket: pair[1], pid: pid, enterUser: !sameUserNamespace, path: path)
        }
        close(pair[1])
        let outcome = Result { () throws(SyscallError) in
            let context = try DelegatedFilesystem.receiveDescriptor(over: parentEnd)
            let mount = try DelegatedFilesystem.create(context: context, delegating: options)
            try DelegatedFilesystem.sendDescriptor(mount, over: parentEnd)
        }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        let childSucceeded = status & 0x7f == 0 && (status >> 8) & 0xff == 0
        if case .failure(let error) = outcome, childSucceeded { throw error }
        guard childSucceeded else {
            throw CommandFailure(
                description: "mounting at '\(path)' inside the namespaces of process \(pid) failed"
                    + ((try? outcome.get()) == nil ? "" : " (the kernel's reason is above)"))
        }
    }

    /// The child: enters the namespaces, opens a bpffs context, hands it over, and mounts what comes back.
    private static func insideNamespaces(
        socket raw: Int32, pid: Int32, enterUser: Bool, path: String
    ) -> Never {
        var standardError = StandardError()
        do {
            let socket = try FileDescriptor(owning: raw)
            let user = try namespace(pid, "user"), mount = try namespace(pid, "mnt")
            if enterUser { try DelegatedFilesystem.enter(.user, user) }
            try DelegatedFilesystem.enter(.mount, mount)
            let context = try DelegatedFilesystem.openContext()
            try DelegatedFilesystem.sendDescriptor(context, over: socket)
            let mounted = try DelegatedFilesystem.receiveDescriptor(over: socket)
            try DelegatedFilesystem.attach(mounted, at: path)
            exit(0)
        } catch {
            print("swiftbpf token: \(error)", to: &standardError)
            exit(1)
        }
    }

    private static func namespace(_ pid: Int32, _ kind: String) throws -> FileDescriptor {
        let path = "/proc/\(pid)/ns/\(kind)"
        let raw = open(path, O_RDONLY | O_CLOEXEC)
        guard raw >= 0 else { throw SyscallError(operation: "open \(path)", errno: errno) }
        return try FileDescriptor(owning: raw)
    }

    private static func namespaceInode(_ pid: Int32, _ kind: String) throws -> UInt {
        var info = stat()
        let path = "/proc/\(pid)/ns/\(kind)"
        guard stat(path, &info) == 0 else { throw SyscallError(operation: "stat \(path)", errno: errno) }
        return UInt(info.st_ino)
    }

    /// The number of threads of this process (`Threads:` in /proc/self/status).
    private static func threadCount() -> Int {
        guard let status = try? ByteStorage(contentsOfFile: "/proc/self/status") else { return 0 }
        let line = status.text.split(separator: "\n").first {
            $0.hasPrefix("Threads:")
        }
        return line.flatMap { Int(String($0.dropFirst("Threads:".count).filter { $0 != " " && $0 != "\t" })) } ?? 0
    }
}
