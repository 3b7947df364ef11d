import CBPFSyscall
import Glibc

/// The epoll calls the ring and perf buffer readers share.
enum Epoll {
    static func create() throws(SyscallError) -> Int32 {
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw SyscallError(operation: "epoll_create1", errno: errno) }
        return epoll
    }

    /// Watches `fd` for input; a wakeup carries `token`.
    static func add(_ epoll: Int32, _ fd: Int32, token: UInt32, what: @autoclosure () -> String) throws(SyscallError) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u32 = token
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0 else { throw SyscallError(operation: "epoll_ctl(ADD) \(what())", errno: errno) }
    }

    /// Waits up to `milliseconds` (-1: without limit) for any watched descriptor, retrying on `EINTR`.
    static func wait(_ epoll: Int32, capacity: Int, milliseconds: Int32) throws(SyscallError) {
        var events = [epoll_event](repeating: epoll_event(), count: max(capacity, 1))
        var woken: Int32
        repeat { woken = epoll_wait(epoll, &events, Int32(events.count), milliseconds) } while woken < 0 && errno == EINTR
        guard woken >= 0 else { throw SyscallError(operation: "epoll_wait", errno: errno) }
    }
}
