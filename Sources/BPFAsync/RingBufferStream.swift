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
    ///
    /// Buffering is bounded: at most `buffer` records wait for the iteration. When they do, the
    /// thread stops taking records from the kernel's rings until the iteration takes one, so the
    /// rings fill and programs' `bpf_ringbuf_reserve` fails (programs see, and may count, what is
    /// lost); no record is dropped in user space.
    public consuming func records(
        pollInterval: Int32 = 100, buffer: Int = 1024
    ) -> AsyncThrowingStream<RingRecord, any Error> {
        let (stream, continuation) = AsyncThrowingStream<RingRecord, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(max(1, buffer)))
        // At least 1 ms (0 would spin, -1 would wait forever and never notice the end), at most 10 s.
        let poller = RingPoller(ring: self, continuation: continuation, interval: min(max(pollInterval, 1), 10_000))
        continuation.onTermination = { _ in poller.stopped.store(true, ordering: .relaxed) }
        var thread = pthread_t()
        let started = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<RingPoller>.fromOpaque(context.unsafelyUnwrapped).takeRetainedValue().run()
                return nil
            }, Unmanaged.passRetained(poller).toOpaque())
        if started == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged.passUnretained(poller).release()
            continuation.finish(
                throwing: RingBufferError.system(SyscallError(operation: "pthread_create", errno: started)))
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

    /// Thrown by the record handler to leave the rest in the kernel's ring: the stream's buffer is full.
    struct Full: Error {}

    init(
        ring: consuming RingBuffer, continuation: AsyncThrowingStream<RingRecord, any Error>.Continuation,
        interval: Int32
    ) {
        self.ring = ring
        self.continuation = continuation
        self.interval = interval
    }

    func run() {
        // A record taken from the ring that the full buffer refused: offered again before any other.
        var pending: RingRecord?
        while !stopped.load(ordering: .relaxed) {
            if let record = pending {
                switch continuation.yield(record) {
                case .enqueued: pending = nil
                case .dropped:
                    usleep(UInt32(min(max(interval, 1), 10)) * 1000)  // the iteration is behind: wait for it
                    continue
                case .terminated: return
                @unknown default: return
                }
            }
            do {
                try ring.poll(timeout: interval) { map, bytes throws(Full) in
                    let record = RingRecord(map: map, bytes: Array(bytes))
                    switch continuation.yield(record) {
                    case .enqueued: break
                    case .dropped:
                        pending = record
                        throw Full()
                    case .terminated: throw Full()
                    @unknown default: throw Full()
                    }
                }
            } catch {
                switch error {
                case .handler: continue
                case let .system(failure):
                    continuation.finish(throwing: failure)
                    return
                }
            }
        }
        continuation.finish()
    }
}
