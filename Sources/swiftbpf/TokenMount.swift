import BPF
import ELF64
import Glibc

/// `swiftbpf token mount`: the two halves of a delegated bpffs for a running process, done by
/// this process (the privileged half) and a child of it that enters the process's namespaces.
enum TokenMount {
    /// Mounts a bpffs delegating `options` at `path` (absolute, from the root of the process's
    /// mount namespace) in the mount namespace of `pid`, owned by its user namespace. The child
    /// opens the filesystem context there (the kernel gives the bpffs to the opener's user
    /// namespace) and mounts what this process creates from it.
    static func mount(forProcess pid: Int32, at path: String, _ options: DelegatedFilesystem.Options) throws {
        guard path.hasPrefix("/") else {
            throw CommandFailure(
                description: "'\(path)' is relative: give the mount point's absolute path as process \(pid) sees it")
        }
        // fork() is safe only while this process has one thread; setns() into a user namespace demands it.
        guard threadCount() == 1 else {
            throw CommandFailure(description: "token mount must run single-threaded (found \(threadCount()) threads)")
        }
        let process = try DelegatedFilesystem.processDescriptor(pid)
        guard try namespaceInode(getpid(), "user") != namespaceInode(pid, "user") else {
            throw CommandFailure(
                description:
                    "process \(pid) is in this process's user namespace: no BPF token can be made from a bpffs owned by it"
            )
        }
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
            close(parentEnd.release())  // the child talks on its own end only: the parent's closing is its EOF
            insideNamespaces(socket: pair[1], process: consume process, path: path)
        }
        close(pair[1])
        let outcome = Result { () throws(SyscallError) in
            let context = try DelegatedFilesystem.receiveDescriptor(over: parentEnd)
            let mount = try DelegatedFilesystem.create(context: context, delegating: options)
            try DelegatedFilesystem.sendDescriptor(mount, over: parentEnd)
        }
        _ = consume parentEnd  // closed: a child still waiting for the mount sees the end and exits
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        let childSucceeded = status & 0x7f == 0 && (status >> 8) & 0xff == 0
        if case .failure(let error) = outcome { throw error }
        guard childSucceeded else {
            throw CommandFailure(
                description: "mounting at '\(path)' inside the namespaces of process \(pid) failed (see above)")
        }
    }

    /// The child: enters the namespaces, opens a bpffs context, hands it over, and mounts what comes back.
    private static func insideNamespaces(socket raw: Int32, process: consuming FileDescriptor, path: String) -> Never {
        var standardError = StandardError()
        do {
            let socket = try FileDescriptor(owning: raw)
            try DelegatedFilesystem.enterNamespaces(of: process, user: true)
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

    private static func namespaceInode(_ pid: Int32, _ kind: String) throws -> UInt {
        var info = stat()
        let path = "/proc/\(pid)/ns/\(kind)"
        guard stat(path, &info) == 0 else { throw SyscallError(operation: "stat \(path)", errno: errno) }
        return UInt(info.st_ino)
    }

    /// The number of threads of this process (`Threads:` in /proc/self/status).
    private static func threadCount() -> Int {
        guard let status = try? ByteStorage(contentsOfFile: "/proc/self/status") else { return 0 }
        let line = status.text.split(separator: "\n").first { $0.hasPrefix("Threads:") }
        return line.flatMap { Int(String($0.dropFirst("Threads:".count).filter { $0 != " " && $0 != "\t" })) } ?? 0
    }
}
