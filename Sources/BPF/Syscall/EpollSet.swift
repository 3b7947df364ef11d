import CBPFSyscall
import Glibc

/// An epoll instance the ring and perf buffer readers wait on: closed when dropped.
struct EpollSet: ~Copyable, Sendable {
    private let descriptor: FileDescriptor

    init() throws(SyscallError) {
        descriptor = try FileDescriptor(
            owning: try Syscall.call("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) })
    }

    /// Watches `fd` for input; a wakeup carries `token`.
    func add(_ fd: borrowing FileDescriptor, token: UInt32, _ what: @autoclosure () -> String) throws(SyscallError) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u32 = token
        _ = try Syscall.call("epoll_ctl(ADD) \(what())") {
            epoll_ctl(descriptor.rawValue, EPOLL_CTL_ADD, fd.rawValue, &event)
        }
    }

    /// Waits up to `milliseconds` (-1: without limit) for any watched descriptor. A signal ends
    /// the wait early, as a wakeup with nothing (waiting again for the whole time under periodic
    /// signals would never end).
    func wait(capacity: Int, milliseconds: Int32) throws(SyscallError) {
        var events = [epoll_event](repeating: epoll_event(), count: max(capacity, 1))
        guard epoll_wait(descriptor.rawValue, &events, Int32(events.count), milliseconds) >= 0 else {
            let error = errno
            if error == EINTR { return }
            throw SyscallError(operation: "epoll_wait", errno: error)
        }
    }
}
