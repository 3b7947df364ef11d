import BPFObject
import CBPFSyscall
import Glibc
import Synchronization

/// One record from a ``PerfBuffer``.
public enum PerfRecord {
    /// What a program passed to `bpf_perf_event_output` (valid only during the handler call).
    case sample(cpu: Int, data: UnsafeRawBufferPointer)
    /// The kernel dropped `count` samples on `cpu` because its ring was full.
    case lost(cpu: Int, count: UInt64)
}

/// A reader of a `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: one `PERF_COUNT_SW_BPF_OUTPUT` event and
/// mmapped ring per online CPU, stored in the map at that CPU's index, woken through epoll.
/// Records that wrap around the end of a ring are reassembled; lost-sample records are reported.
public struct PerfBuffer: ~Copyable {
    /// One CPU's event and its mapped ring (a class: an array cannot hold noncopyable values).
    private final class Ring: Sendable {
        let cpu: Int
        let event: FileDescriptor
        let pages: MappedRegion
        let dataSize: Int
        init(cpu: Int, event: consuming FileDescriptor, pages: consuming MappedRegion, dataSize: Int) {
            self.cpu = cpu
            self.event = event
            self.pages = pages
            self.dataSize = dataSize
        }
        var base: UnsafeMutableRawPointer { pages.base }
    }

    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    private static let enable: UInt = 0x2400  // PERF_EVENT_IOC_ENABLE
    private let rings: [Ring]
    private let epoll: EpollSet
    private let map: Map

    /// Opens a ring of `pages` pages (a power of two) for every CPU the map and this machine have,
    /// each stored in `map` at its CPU's index until this reader is dropped.
    public init(_ map: Map, pages: Int = 8) throws(RingBufferError) {
        guard pages > 0, pages <= 1 << 16, pages & (pages - 1) == 0 else {
            throw .system(SyscallError(operation: "perf buffer: \(pages) pages is not a power of two", errno: EINVAL))
        }
        guard map.type == .perfEventArray else { throw .notARingBuffer(index: 0, type: map.type) }
        let epoll: EpollSet
        do { epoll = try EpollSet() } catch { throw .system(error) }
        let cpus: Int
        do { cpus = try PossibleCPUs.count } catch { throw .system(error) }
        var rings: [Ring] = []
        do throws(RingBufferError) {
            for cpu in 0..<min(Int(map.maxEntries), cpus) {
                guard let ring = try Self.open(cpu: cpu, pages: pages) else { continue }  // an offline CPU
                rings.append(ring)
                do throws(SyscallError) {
                    // A perf event array's keys and values are 4 bytes (the kernel allows no other).
                    try MapCommands.uncheckedUpdate(
                        descriptor: map.descriptor.rawValue, key: Self.bytes(UInt32(cpu)),
                        value: Self.bytes(ring.event.rawValue))
                    try epoll.add(ring.event, token: UInt32(rings.count - 1), "cpu \(cpu)")
                    _ = try Syscall.shim("PERF_EVENT_IOC_ENABLE cpu \(cpu)") {
                        sbpf_ioctl(ring.event.rawValue, Self.enable, 0)
                    }
                } catch {
                    throw .system(error)
                }
            }
        } catch {
            Self.remove(rings, from: map)
            throw error
        }
        self.rings = rings
        self.epoll = epoll
        self.map = map
    }

    deinit { Self.remove(rings, from: map) }

    /// Takes the rings' events out of the map (their slots were this reader's).
    private static func remove(_ rings: [Ring], from map: Map) {
        for ring in rings {
            try? MapCommands.uncheckedDelete(descriptor: map.descriptor.rawValue, key: bytes(UInt32(ring.cpu)))
        }
    }

    /// Hands every record available now to `body`, ring by ring; returns how many samples it handed over.
    @discardableResult
    public func consume<E: Error>(_ body: (PerfRecord) throws(E) -> Void) throws(E) -> Int {
        var samples = 0
        for ring in rings { samples += try Self.consume(ring, body) }
        return samples
    }

    /// Waits up to `timeout` milliseconds (-1: without limit) for data, then consumes it.
    @discardableResult
    public func poll<E: Error>(
        timeout milliseconds: Int32, _ body: (PerfRecord) throws(E) -> Void
    ) throws(RingBufferPollError<E>) -> Int {
        var handled: Int
        do { handled = try consume(body) } catch { throw .handler(error) }
        if handled > 0 { return handled }
        do { try epoll.wait(capacity: rings.count, milliseconds: milliseconds) } catch { throw .system(error) }
        do { handled = try consume(body) } catch { throw .handler(error) }
        return handled
    }

    private static func consume<E: Error>(_ ring: Ring, _ body: (PerfRecord) throws(E) -> Void) throws(E) -> Int {
        // struct perf_event_mmap_page: data_head at 1024, data_tail at 1032.
        let head = (ring.base + 1024).assumingMemoryBound(to: Atomic<UInt64>.self)
        let tail = (ring.base + 1032).assumingMemoryBound(to: Atomic<UInt64>.self)
        let data = ring.base + pageSize
        let mask = UInt64(ring.dataSize - 1)
        var position = tail.pointee.load(ordering: .relaxed)
        let end = head.pointee.load(ordering: .acquiring)
        var samples = 0
        while position < end {
            let start = Int(position & mask)
            let header = data.loadUnaligned(fromByteOffset: start, as: UInt64.self)
            let type = UInt32(truncatingIfNeeded: header), size = Int(header >> 48)
            guard size >= 8, size <= ring.dataSize else { break }  // never past what the kernel wrote
            position += UInt64(size)
            // The space goes back to the kernel after the handler (it reads the ring in place),
            // also when the handler throws: a record is handed over once.
            let outcome: Result<Int, E>
            if start + size <= ring.dataSize {
                outcome = Result { () throws(E) in
                    try handle(type, UnsafeRawBufferPointer(start: data + start, count: size), cpu: ring.cpu, body)
                }
            } else {
                // A record that wraps around the end of the ring is copied out in two pieces.
                var record = Array(UnsafeRawBufferPointer(start: data + start, count: ring.dataSize - start))
                record += UnsafeRawBufferPointer(start: data, count: size - (ring.dataSize - start))
                outcome = record.withUnsafeBytes { bytes in
                    Result { () throws(E) in try handle(type, bytes, cpu: ring.cpu, body) }
                }
            }
            tail.pointee.store(position, ordering: .releasing)
            samples += try outcome.get()
        }
        return samples
    }

    /// Hands one record to `body`: 1 for a sample, 0 for anything else.
    private static func handle<E: Error>(
        _ type: UInt32, _ record: UnsafeRawBufferPointer, cpu: Int, _ body: (PerfRecord) throws(E) -> Void
    ) throws(E) -> Int {
        switch type {
        case 9 where record.count >= 12:  // PERF_RECORD_SAMPLE with PERF_SAMPLE_RAW: u32 size, then the bytes
            let length = min(Int(record.loadUnaligned(fromByteOffset: 8, as: UInt32.self)), record.count - 12)
            try body(.sample(cpu: cpu, data: UnsafeRawBufferPointer(rebasing: record[12..<12 + length])))
            return 1
        case 2 where record.count >= 24:  // PERF_RECORD_LOST: u64 id, u64 lost
            try body(.lost(cpu: cpu, count: record.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
            return 0
        default:
            return 0
        }
    }

    private static func open(cpu: Int, pages: Int) throws(RingBufferError) -> Ring? {
        let event: FileDescriptor
        do {
            event = try PerfEvent.open(
                type: PerfEvent.softwareType, config: PerfEvent.bpfOutputConfig, cpu: Int32(cpu),
                sampleType: PerfEvent.sampleRaw, samplePeriod: 1, wakeupEvents: 1, what: "bpf output cpu \(cpu)")
        } catch {
            guard case .system(let e) = error else { throw .system(SyscallError(operation: "\(error)", errno: EINVAL)) }
            if e.errno == ENODEV { return nil }  // the CPU is offline
            throw .system(e)
        }
        let dataSize = pages * pageSize
        do {
            let ring = try MappedRegion(event, length: pageSize + dataSize, writable: true, "perf ring cpu \(cpu)")
            return Ring(cpu: cpu, event: event, pages: ring, dataSize: dataSize)
        } catch {
            throw .system(error)
        }
    }

    private static func bytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }
}
