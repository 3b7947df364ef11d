import BPFObject
import CBPFSyscall
import Glibc
import Synchronization

/// Why a ring buffer reader could not be set up or wait.
public enum RingBufferError: Error, Sendable, CustomStringConvertible {
    /// The map at `index` of those given is not a `BPF_MAP_TYPE_RINGBUF`.
    case notARingBuffer(index: Int, type: MapType)
    /// A system call failed (`bpf`, `mmap`, `epoll_*`).
    case system(SyscallError)

    public var description: String {
        switch self {
        case .notARingBuffer(let index, let type): "map \(index) is a \(type) map, not a ringbuf"
        case .system(let error): error.description
        }
    }
}

/// A reader of one or more `BPF_MAP_TYPE_RINGBUF` maps, sharing one epoll set.
///
/// Each map's consumer page is mapped read-write and its producer page plus data
/// area (mapped twice by the kernel, so a record that wraps is contiguous) read-only.
/// Records are 8-byte aligned behind an 8-byte header whose busy bit means "not yet
/// committed" and whose discard bit means "skip". The reader owns duplicates of the
/// map descriptors, so the maps outlive the object that created them for as long as
/// it reads.
public struct RingBuffer: ~Copyable {
    private struct Ring {
        let descriptor: Int32
        let consumer: UnsafeMutableRawPointer
        let producer: UnsafeMutableRawPointer
        let dataSize: Int
        var data: UnsafeRawPointer { UnsafeRawPointer(producer) + pageSize }
    }

    private static let busyBit: UInt32 = 1 << 31
    private static let discardBit: UInt32 = 1 << 30
    private static let headerSize = 8
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    private let rings: [Ring]
    private let epoll: Int32

    /// A reader of the ring buffer map behind `descriptor`.
    public init(descriptor: Int32) throws(RingBufferError) {
        try self.init(descriptors: [descriptor])
    }

    /// One reader over several ring buffer maps; records carry the index of their map.
    public init(descriptors: [Int32]) throws(RingBufferError) {
        var rings: [Ring] = []
        let epoll: Int32
        do { epoll = try Epoll.create() } catch { throw .system(error) }
        do throws(RingBufferError) {
            for (index, fd) in descriptors.enumerated() {
                let ring = try Self.map(fd, index: index)
                rings.append(ring)
                do { try Epoll.add(epoll, ring.descriptor, token: UInt32(index), what: "map \(index)") } catch { throw .system(error) }
            }
        } catch {
            rings.forEach(Self.unmap)
            close(epoll)
            throw error
        }
        self.rings = rings
        self.epoll = epoll
    }

    deinit {
        rings.forEach(Self.unmap)
        close(epoll)
    }

    /// Hands every committed record available now to `body` (index of its map, bytes valid
    /// only during the call), in order per map; returns how many it handed over. Records a
    /// producer commits meanwhile wait for the next call: the work of one call is bounded by
    /// what the rings held when it began, however fast programs write.
    @discardableResult
    public func consume<E: Error>(_ body: (Int, UnsafeRawBufferPointer) throws(E) -> Void) throws(E) -> Int {
        var count = 0
        for index in rings.indices {
            count += try Self.consume(rings[index], index: index, body)
        }
        return count
    }

    /// Waits up to `timeout` milliseconds (-1: without limit) until some map has data,
    /// then consumes what is there. Returns the number of records handed to `body`.
    @discardableResult
    public func poll<E: Error>(
        timeout milliseconds: Int32, _ body: (Int, UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(RingBufferPollError<E>) -> Int {
        // Records may already be waiting: a wakeup is only sent when the reader has caught up.
        let ready: Int
        do { ready = try consume(body) } catch { throw .handler(error) }
        if ready > 0 { return ready }
        do { try Epoll.wait(epoll, capacity: rings.count, milliseconds: milliseconds) } catch { throw .system(error) }
        do { return try consume(body) } catch { throw .handler(error) }
    }

    private static func consume<E: Error>(
        _ ring: Ring, index: Int, _ body: (Int, UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(E) -> Int {
        let consumerPosition = ring.consumer.assumingMemoryBound(to: Atomic<UInt64>.self)
        let producerPosition = ring.producer.assumingMemoryBound(to: Atomic<UInt64>.self)
        let mask = UInt64(ring.dataSize - 1)
        var position = consumerPosition.pointee.load(ordering: .acquiring)
        var count = 0
        // One look at the producer: records past it are the next call's.
        let end = producerPosition.pointee.load(ordering: .acquiring)
        while position < end {
            let header = ring.data + Int(position & mask)
            let word = UnsafeMutableRawPointer(mutating: header).assumingMemoryBound(to: Atomic<UInt32>.self)
                .pointee.load(ordering: .acquiring)
            if word & busyBit != 0 { return count }
            let length = min(Int(word & ~(busyBit | discardBit)), ring.dataSize - headerSize)
            position += UInt64((length + headerSize + 7) & ~7)
            // The space goes back to the kernel after the handler (it reads the ring in place),
            // also when the handler throws: a record is handed over once.
            if word & discardBit == 0 {
                let outcome = Result { () throws(E) in try body(index, UnsafeRawBufferPointer(start: header + headerSize, count: length)) }
                consumerPosition.pointee.store(position, ordering: .releasing)
                try outcome.get()
                count += 1
            } else {
                consumerPosition.pointee.store(position, ordering: .releasing)
            }
        }
        return count
    }

    private static func map(_ fd: Int32, index: Int) throws(RingBufferError) -> Ring {
        let info: MapInfo
        do { info = try MapInfo(descriptor: fd) } catch { throw .system(error) }
        guard info.type == .ringBuffer else { throw .notARingBuffer(index: index, type: info.type) }
        let owned = fcntl(fd, F_DUPFD_CLOEXEC, 1)
        guard owned >= 0 else { throw .system(SyscallError(operation: "dup ringbuf \(index)", errno: errno)) }
        let dataSize = Int(info.maxEntries)
        guard let consumer = mmap(nil, pageSize, PROT_READ | PROT_WRITE, MAP_SHARED, owned, 0), consumer != MAP_FAILED else {
            let error = errno
            close(owned)
            throw .system(SyscallError(operation: "mmap ringbuf \(index) consumer page", errno: error))
        }
        guard let producer = mmap(nil, pageSize + 2 * dataSize, PROT_READ, MAP_SHARED, owned, off_t(pageSize)),
            producer != MAP_FAILED
        else {
            let error = errno
            munmap(consumer, pageSize)
            close(owned)
            throw .system(SyscallError(operation: "mmap ringbuf \(index) data", errno: error))
        }
        return Ring(descriptor: owned, consumer: consumer, producer: producer, dataSize: dataSize)
    }

    private static func unmap(_ ring: Ring) {
        munmap(ring.consumer, pageSize)
        munmap(ring.producer, pageSize + 2 * ring.dataSize)
        close(ring.descriptor)
    }
}

/// Why ``RingBuffer/poll(timeout:_:)`` stopped: the wait failed, or the record handler threw.
public enum RingBufferPollError<Handler: Error>: Error {
    case system(SyscallError)
    case handler(Handler)
}
