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
/// committed" and whose discard bit means "skip". The reader holds the maps, so they
/// outlive the object that created them for as long as it reads.
public struct RingBuffer: ~Copyable {
    /// One map's pages (a class: an array cannot hold noncopyable values).
    private final class Ring: Sendable {
        let map: Map
        let consumerPage: MappedRegion
        let producerPages: MappedRegion
        let dataSize: Int
        init(map: Map, consumer: consuming MappedRegion, producer: consuming MappedRegion, dataSize: Int) {
            self.map = map
            consumerPage = consumer
            producerPages = producer
            self.dataSize = dataSize
        }
        var consumer: UnsafeMutableRawPointer { consumerPage.base }
        var producer: UnsafeMutableRawPointer { producerPages.base }
        var data: UnsafeRawPointer { UnsafeRawPointer(producerPages.base) + pageSize }
    }

    private static let busyBit: UInt32 = 1 << 31
    private static let discardBit: UInt32 = 1 << 30
    private static let headerSize = 8
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    private let rings: [Ring]
    private let epoll: EpollSet

    /// A reader of a ring buffer map.
    public init(_ map: Map) throws(RingBufferError) {
        try self.init([map])
    }

    /// One reader over several ring buffer maps; records carry the index of their map.
    public init(_ maps: [Map]) throws(RingBufferError) {
        let epoll: EpollSet
        do { epoll = try EpollSet() } catch { throw .system(error) }
        var rings: [Ring] = []
        for (index, map) in maps.enumerated() {
            let ring = try Self.ring(map, index: index)
            do { try epoll.add(map.descriptor, token: UInt32(index), "map \(index)") } catch { throw .system(error) }
            rings.append(ring)
        }
        self.rings = rings
        self.epoll = epoll
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
        do { try epoll.wait(capacity: rings.count, milliseconds: milliseconds) } catch { throw .system(error) }
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
                let outcome = Result { () throws(E) in
                    try body(index, UnsafeRawBufferPointer(start: header + headerSize, count: length))
                }
                consumerPosition.pointee.store(position, ordering: .releasing)
                try outcome.get()
                count += 1
            } else {
                consumerPosition.pointee.store(position, ordering: .releasing)
            }
        }
        return count
    }

    /// Maps `map`'s consumer page read-write and its producer page and data (twice) read-only.
    private static func ring(_ map: Map, index: Int) throws(RingBufferError) -> Ring {
        guard map.type == .ringBuffer else { throw .notARingBuffer(index: index, type: map.type) }
        // The data size is the kernel's (a power of two, a multiple of the page size): read it, not the spec's.
        let dataSize: Int
        do { dataSize = Int(try map.info().maxEntries) } catch { throw .system(error) }
        guard dataSize > 0, dataSize & (dataSize - 1) == 0 else {
            throw .system(
                SyscallError(
                    operation: "ringbuf \(index): the kernel reports \(dataSize) data bytes, not a power of two",
                    errno: EINVAL))
        }
        do throws(SyscallError) {
            let consumer = try MappedRegion(
                map.descriptor, length: pageSize, writable: true, "ringbuf \(index) consumer page")
            let producer = try MappedRegion(
                map.descriptor, length: pageSize + 2 * dataSize, offset: pageSize, writable: false,
                "ringbuf \(index) data")
            return Ring(map: map, consumer: consumer, producer: producer, dataSize: dataSize)
        } catch {
            throw .system(error)
        }
    }
}

/// Why ``RingBuffer/poll(timeout:_:)`` stopped: the wait failed, or the record handler threw.
public enum RingBufferPollError<Handler: Error>: Error {
    case system(SyscallError)
    case handler(Handler)
}
