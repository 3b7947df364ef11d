import BPF
import Glibc
import Synchronization

/// One ring buffer record, copied out of the ring: the index of its map and its bytes.
public struct RingRecord: Sendable, Equatable {
    public let map: Int
    public let bytes: [UInt8]
}

extension RingBuffer {
    /// The records as an `AsyncThrowingStream`, for `for try await record in …`.
    ///
    /// The reader moves to a thread of its own that polls (so no task of the cooperative
    /// pool blocks in `epoll_wait`) and copies each record out. Ending the iteration —
    /// `break`, or the consuming task being cancelled — stops that thread within
    /// `pollInterval` milliseconds and closes the reader; a failed wait ends the stream
    /// with its error.
    public consuming func records(pollInterval: Int32 = 100) -> AsyncThrowingStream<RingRecord, any Error> {
        let (stream, continuation) = AsyncThrowingStream<RingRecord, any Error>.makeStream()
        let poller = RingPoller(ring: self, continuation: continuation, interval: pollInterval)
        continuation.onTermination = { _ in poller.stopped.store(true, ordering: .relaxed) }
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            Unmanaged<RingPoller>.fromOpaque(context.unsafelyUnwrapped).takeRetainedValue().run()
            return nil
        }, Unmanaged.passRetained(poller).toOpaque())
        if started == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged.passUnretained(poller).release()
            continuation.finish(throwing: RingBufferError.system(SyscallError(operation: "pthread_create", errno: started)))
        }
        return stream
    }
}

/// Owns a ring buffer reader on its polling thread; gone (and the reader closed) when the thread ends.
private final class RingPoller: @unchecked Sendable {
    let ring: RingBuffer
    let continuation: AsyncThrowingStream<RingRecord, any Error>.Continuation
    let interval: Int32
    let stopped = Atomic<Bool>(false)

    init(ring: consuming RingBuffer, continuation: AsyncThrowingStream<RingRecord, any Error>.Continuation, interval: Int32) {
        self.ring = ring
        self.continuation = continuation
        self.interval = interval
    }

    func run() {
        while !stopped.load(ordering: .relaxed) {
            do {
                try ring.poll(timeout: interval) { map, bytes in
                    _ = continuation.yield(RingRecord(map: map, bytes: Array(bytes)))
                }
            } catch {
                if case let .system(failure) = error { continuation.finish(throwing: failure) }
                return
            }
        }
        continuation.finish()
    }
}
