import BTF
import Glibc

/// A second thread for work that splits in two, such as hashing the names of the kernel's BTF.
/// The pure modules start no thread: the kernel side offers this one.
enum Threads {
    /// Runs `first` on the calling thread and `second` on a new one when more than one CPU is
    /// online (otherwise, or when no thread can be started, both here, one after the other).
    static func pair(_ first: () -> Void, _ second: @escaping @Sendable () -> Void) {
        guard sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1 else {
            first()
            second()
            return
        }
        let job = Job(second)
        let context = Unmanaged.passRetained(job).toOpaque()
        var thread = pthread_t()
        guard
            pthread_create(
                &thread, nil,
                { context in
                    Unmanaged<Job>.fromOpaque(context.unsafelyUnwrapped).takeRetainedValue().work()
                    return nil
                }, context) == 0
        else {
            Unmanaged<Job>.fromOpaque(context).release()
            first()
            second()
            return
        }
        first()
        pthread_join(thread, nil)
    }

    private final class Job: Sendable {
        let work: @Sendable () -> Void
        init(_ work: @escaping @Sendable () -> Void) { self.work = work }
    }
}
