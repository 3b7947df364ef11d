import BPF
import BPFAsync
import Foundation
import BPFObject
import Glibc
import Synchronization
import TestSupport
import Testing

/// Runs ringbuf.bpf.c's `emit` once: it writes `count` records (every third discarded).
func emitRecords(_ object: borrowing LoadedObject, count: UInt32) throws {
    let program = try object.program(named: "emit").required("emit")
    let result = try program.testRun(context: withUnsafeBytes(of: count.littleEndian) { Array($0) })
    #expect(result.returnValue == 0)
}

/// What a reader must see after `emit` ran with `count`: the committed sequence numbers and sizes.
func expectedRecords(count: UInt32) -> [(seq: UInt32, size: Int)] {
    let sizes = [4, 12, 28, 60]
    return (0..<count).filter { $0 % 3 != 2 }.map { (seq: $0, size: sizes[Int($0 % 4)]) }
}

/// The error a ring buffer reader over `map` fails with, if any.
func refusal(of map: Map) -> RingBufferError? {
    do throws(RingBufferError) { _ = try RingBuffer(map); return nil } catch { return error }
}

/// How many of this process's descriptors refer to the map with `id` (from /proc/self/fdinfo).
func descriptors(ofMap id: UInt32) -> Int {
    guard let dir = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(dir) }
    var count = 0
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard let info = try? String(contentsOfFile: "/proc/self/fdinfo/" + name, encoding: .utf8) else { continue }
        if info.split(separator: "\n").contains("map_id:\t\(id)") { count += 1 }
    }
    return count
}

extension KernelTests {
    @Suite("Ring buffer reader", kernelTrait, .serialized)
    struct RingBufferTests {
        @Test(
            "as an AsyncSequence: the same records; leaving the loop stops the polling thread, which closes the reader")
        func asyncRecords() async throws {
            let object = try loadTestData("ringbuf.bpfel.o")
            let events = try object.map(named: "events").required("events")
            let mapID = try events.info().id
            #expect(descriptors(ofMap: mapID) == 1)
            try emitRecords(object, count: 30)
            let expected = expectedRecords(count: 30)
            var seen: [(seq: UInt32, size: Int)] = []
            // The reader gets a map of its own (opened by id), which it holds alone: the stream's end closes it.
            for try await record in try RingBuffer(try Map(id: mapID)).records(pollInterval: 20) {
                #expect(record.map == 0)
                if seen.isEmpty { #expect(descriptors(ofMap: mapID) == 2, "the reader holds its map while it polls") }
                seen.append(
                    (
                        record.bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self).littleEndian },
                        record.bytes.count
                    ))
                if seen.count == expected.count { break }
            }
            #expect(seen.map(\.seq) == expected.map(\.seq) && seen.map(\.size) == expected.map(\.size))
            // The poller notices within its interval, then closes its duplicate of the map.
            for _ in 0..<200 where descriptors(ofMap: mapID) > 1 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(descriptors(ofMap: mapID) == 1)
        }

        @Test("one consume takes what the ring held when it began, though every record it hands over makes another")
        func consumeIsBoundedUnderAProducer() throws {
            try KernelObjects.exclusively {
                let object = try loadTestData("ringbuf.bpfel.o")
                let reader = try RingBuffer(try object.map(named: "events").required("events"))
                try emitRecords(object, count: 10)
                var handled = 0
                let handed = try reader.consume { _, _ throws in
                    handled += 1
                    if handled < 1000 { try emitRecords(object, count: 1) }  // a producer as fast as the reader
                }
                #expect(handed == expectedRecords(count: 10).count)
                #expect(reader.consume { _, _ in } == handed, "the records made meanwhile wait for the next call")
            }
        }

        @Test(
            "the stream holds at most its buffer: a reader that falls behind leaves records in the kernel's ring, loses none"
        )
        func streamBufferIsBounded() async throws {
            let object = try loadTestData("ringbuf.bpfel.o")
            let events = try object.map(named: "events").required("events")
            let stream = try RingBuffer(events).records(pollInterval: 10, buffer: 4)
            // 16 KiB ring, ~2.4 KiB of records per run of 64: with the stream not read, the ring fills
            // and emit's bpf_ringbuf_reserve fails (it returns -1); an unbounded buffer would drain it.
            let program = try object.program(named: "emit").required("emit")
            var refused = 0, runs = 0
            for _ in 0..<40 where refused == 0 {
                let result = try program.testRun(context: withUnsafeBytes(of: UInt32(64).littleEndian) { Array($0) })
                refused += result.returnValue != 0 ? 1 : 0
                runs += 1
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(refused == 1, "the ring filled up behind the full buffer")
            // What was written before the ring filled comes out whole and in order.
            let run = expectedRecords(count: 64).map(\.seq)
            var seqs: [UInt32] = []
            for try await record in stream {
                seqs.append(record.bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self).littleEndian })
                if seqs.count == 2 * run.count { break }  // the first two runs, whole
            }
            #expect(seqs == run + run)
            #expect(runs > 2)
        }

        @Test("cancelled under a steady producer, the stream's thread stops within its interval and closes the reader")
        func streamStopsUnderSteadyProducer() async throws {
            let object = try loadTestData("ringbuf.bpfel.o")
            let events = try object.map(named: "events").required("events")
            let mapID = try events.info().id
            let program = try object.program(named: "emit").required("emit")
            let producing = Atomic<Bool>(true)
            let stopped = DispatchSemaphore(value: 0)
            let producer = Thread {
                while producing.load(ordering: .relaxed) {
                    _ = try? program.testRun(context: withUnsafeBytes(of: UInt32(8).littleEndian) { Array($0) })
                }
                stopped.signal()
            }
            producer.start()
            // The producer is stopped and joined before the object closes: its descriptor number would
            // otherwise name the next test's program, which it would go on running.
            defer {
                producing.store(false, ordering: .relaxed)
                stopped.wait()
                _ = object.programNames  // the object (and the program's descriptor) lives until then
            }
            let task = Task {
                var count = 0
                for try await _ in try RingBuffer(try Map(id: mapID)).records(pollInterval: 20) { count += 1 }
                return count
            }
            try await Task.sleep(for: .milliseconds(200))
            #expect(descriptors(ofMap: mapID) == 2)
            task.cancel()
            _ = try? await task.value
            for _ in 0..<100 where descriptors(ofMap: mapID) > 1 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(descriptors(ofMap: mapID) == 1, "the poller closed its descriptor while the producer kept writing")
        }

        @Test(
            "a stream asked to poll without limit (-1) or not at all (0) still stops: the interval is clamped to 1 ms…10 s"
        )
        func streamIntervalClamped() async throws {
            let object = try loadTestData("ringbuf.bpfel.o")
            let events = try object.map(named: "events").required("events")
            let mapID = try events.info().id
            for interval: Int32 in [-1, 0] {
                let task = Task { for try await _ in try RingBuffer(events).records(pollInterval: interval) {} }
                try await Task.sleep(for: .milliseconds(50))
                task.cancel()
                _ = try? await task.value
                for _ in 0..<300 where descriptors(ofMap: mapID) > 1 { try await Task.sleep(for: .milliseconds(10)) }
                #expect(descriptors(ofMap: mapID) == 1, "pollInterval \(interval)")
            }
        }

        @Test("sees exactly the committed records, in order and at their sizes, across many wrap-arounds")
        func committedRecordsInOrder() throws {
            try KernelObjects.exclusively {
                let object = try loadTestData("ringbuf.bpfel.o")
                let reader = try RingBuffer(try object.map(named: "events").required("events"))
                // 16 KiB ring, ~1.5 KiB per run: 40 runs wrap it several times.
                for run in 0..<40 {
                    let count = UInt32(20 + run % 21)
                    try emitRecords(object, count: count)
                    var seen: [(seq: UInt32, size: Int)] = []
                    let handed = try reader.poll(timeout: 1000) { ring, record in
                        #expect(ring == 0)
                        seen.append((record.load(as: UInt32.self).littleEndian, record.count))
                    }
                    let expected = expectedRecords(count: count)
                    #expect(handed == expected.count)
                    #expect(seen.map(\.seq) == expected.map(\.seq), "run \(run)")
                    #expect(seen.map(\.size) == expected.map(\.size), "run \(run)")
                }
            }
        }

        @Test("waits for the timeout when nothing was written")
        func timeout() throws {
            try KernelObjects.exclusively {
                let object = try loadTestData("ringbuf.bpfel.o")
                let reader = try RingBuffer(try object.map(named: "events").required("events"))
                var start = timespec(), end = timespec()
                clock_gettime(CLOCK_MONOTONIC, &start)
                let handed = try reader.poll(timeout: 100) { _, _ in Issue.record("no record was written") }
                clock_gettime(CLOCK_MONOTONIC, &end)
                let elapsed = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1_000_000
                #expect(handed == 0)
                #expect(elapsed >= 90)
            }
        }

        @Test("one reader serves several ring buffers and tells them apart")
        func severalMaps() throws {
            try KernelObjects.exclusively {
                let first = try loadTestData("ringbuf.bpfel.o"), second = try loadTestData("ringbuf.bpfel.o")
                let reader = try RingBuffer([
                    try first.map(named: "events").required("events"),
                    try second.map(named: "events").required("events"),
                ])
                try emitRecords(second, count: 6)
                try emitRecords(first, count: 3)
                var seen: [Int: [UInt32]] = [:]
                reader.consume { ring, record in
                    seen[ring, default: []].append(record.load(as: UInt32.self).littleEndian)
                }
                #expect(seen[0] == [0, 1])
                #expect(seen[1] == [0, 1, 3, 4])
            }
        }

        @Test("outlives the object that made the map, refuses other map types, and leaks nothing")
        func lifetimeAndErrors() throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    var object = try loadTestData("ringbuf.bpfel.o")
                    guard let program = object.program(named: "emit") else { throw MissingValue(what: "emit") }
                    let reader = try RingBuffer(try object.map(named: "events").required("events"))
                    _ = consume object
                    let result = try program.testRun(context: [5, 0, 0, 0])
                    #expect(result.returnValue == 0)
                    var seqs: [UInt32] = []
                    try reader.poll(timeout: 1000) { _, record in seqs.append(record.load(as: UInt32.self).littleEndian)
                    }
                    #expect(seqs == [0, 1, 3, 4])
                }
                let array = try Map.create(MapAttributes(type: .array, keySize: 4, valueSize: 4, maxEntries: 1))
                let refusal = refusal(of: array)
                if case .notARingBuffer(index: 0, type: .array)? = refusal {
                } else {
                    Issue.record("an array map was not refused as a ring buffer: \(String(describing: refusal))")
                }
                _ = consume array
                #expect(KernelObjects.openCount() == before)
            }
        }
    }
}
