import Glibc

/// A BPF token (Linux 6.9+): the right, inside a user namespace, to issue the bpf(2) commands and
/// use the map, program and attach types that the bpffs it was created from delegates.
///
/// A load given a token (`ObjectSpec.load(_:token:)`, or ``LoadOptions/token``) passes
/// it to every command that takes one (map creation, BTF load, program load) and answers its
/// feature probes through it, so that they report what the token allows rather than what the
/// host would.
public struct BPFToken: ~Copyable {
    /// The token's descriptor, closed with the token.
    public let descriptor: FileDescriptor
    /// What the token allows, as the kernel reports it in `/proc/self/fdinfo` (nil where that is
    /// not mounted: the token works the same, but a refusal cannot name the missing delegation).
    public let delegation: TokenDelegation?
    /// The features probed through this token, on first need.
    let features: FeatureCache

    /// A token from the bpffs mounted at `path` (the mount's root directory).
    public init(bpffs path: String) throws(TokenError) {
        let raw = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard raw >= 0 else { throw .openFilesystem(path: path, errno: errno) }
        let directory: FileDescriptor
        do { directory = try FileDescriptor(owning: raw) } catch { throw .system(error) }
        try self.init(directory, path: path)
    }

    /// A token from an open bpffs root directory (a mount received from a privileged helper,
    /// opened with `openat(mount, ".", O_DIRECTORY)`).
    public init(bpffs directory: borrowing FileDescriptor) throws(TokenError) {
        try self.init(directory, path: "descriptor \(directory.rawValue)")
    }

    private init(_ directory: borrowing FileDescriptor, path: String) throws(TokenError) {
        var attr = TokenCreateAttr()
        attr.bpffsFD = UInt32(bitPattern: directory.rawValue)
        let token: FileDescriptor
        do { token = try Syscall.bpfDescriptor(.tokenCreate, &attr, "BPF_TOKEN_CREATE") } catch {
            throw .create(path: path, error: error)
        }
        delegation = try? TokenDelegation(token: token)
        features = FeatureCache(token: token.rawValue)
        descriptor = token
    }

    /// The token a load uses by default, as libbpf chooses it: from `path` when one is given
    /// (failure is an error); otherwise from `LIBBPF_BPF_TOKEN_PATH` when it is set and not empty
    /// (failure is an error), or from `/sys/fs/bpf` when it delegates anything (failure, as in the
    /// initial user namespace or without delegation, means no token). An empty variable means no token.
    static func forLoad(_ source: TokenSource) throws(TokenError) -> BPFToken? {
        switch source {
        case .none:
            return nil
        case .path(let path):
            return try BPFToken(bpffs: path)
        case .automatic:
            if let variable = getenv("LIBBPF_BPF_TOKEN_PATH") {
                let path = String(cString: variable)
                return path.isEmpty ? nil : try BPFToken(bpffs: path)
            }
            // Cheap where tokens cannot be (the initial user namespace): two system calls, no error text.
            let path = UnsafeRawPointer(defaultTokenPath.utf8Start).assumingMemoryBound(to: CChar.self)
            let raw = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard raw >= 0, let directory = try? FileDescriptor(owning: raw) else { return nil }
            return try? BPFToken(directory, path: defaultTokenPath.description)
        }
    }

    /// A static string: opened as the C string it is (a short `String` would be copied into one).
    static let defaultTokenPath: StaticString = "/sys/fs/bpf"
}

/// Where a load's BPF token comes from (``LoadOptions/token``).
public enum TokenSource: Sendable, Equatable {
    /// libbpf's default: `LIBBPF_BPF_TOKEN_PATH` if set (empty: no token), else `/sys/fs/bpf`
    /// when it delegates anything; no token where none can be made.
    case automatic
    /// A token from the bpffs mounted here; the load fails if it cannot be made.
    case path(String)
    /// No token: commands run with the process's own privileges.
    case none
}

/// Why a BPF token could not be made.
public enum TokenError: Error, Sendable, CustomStringConvertible {
    /// The bpffs path could not be opened as a directory.
    case openFilesystem(path: String, errno: Int32)
    /// `BPF_TOKEN_CREATE` refused.
    case create(path: String, error: SyscallError)
    /// The token's description (`/proc/self/fdinfo`) was missing or unreadable.
    case unreadableDelegation(String)
    case system(SyscallError)

    public var description: String {
        switch self {
        case let .openFilesystem(path, errno):
            return "BPF token: cannot open bpffs '\(path)': \(String(cString: strerror(errno)))"
        case let .create(path, error):
            let why: String
            switch error.errno {
            case ENOENT: why = " (that bpffs delegates nothing: mount it with delegate_cmds/maps/progs/attachs)"
            case EOPNOTSUPP: why = " (tokens exist only in a user namespace other than the initial one)"
            case EPERM: why = " (the bpffs must belong to this process's user namespace, which must grant CAP_BPF)"
            case EINVAL: why = " (not the root of a bpffs mount)"
            default: why = ""
            }
            return "BPF token from '\(path)': \(error)\(why)"
        case let .unreadableDelegation(why): return "BPF token: \(why)"
        case let .system(error): return "BPF token: \(error)"
        }
    }
}
