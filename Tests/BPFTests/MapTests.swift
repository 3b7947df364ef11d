import BPF
import BPFObject
import Glibc
import TestSupport
import Testing

func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }
func u64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }

func makeMap(
    _ type: MapType, key: UInt32 = 4, value: UInt32 = 8, entries: UInt32 = 256, flags: UInt32 = 0
) throws -> Map {
    try Map.create(
        MapAttributes(type: type, keySize: key, valueSize: value, maxEntries: entries, flags: flags, name: "test_map"))
}

/// Entries as a dictionary, for order-free comparison.
func table(_ entries: [(key: [UInt8], value: [UInt8])]) -> [[UInt8]: [UInt8]] {
    Dictionary(entries.map { ($0.key, $0.value) }) { a, _ in a }
}

extension KernelTests {
    @Suite("Map operations on the kernel", kernelTrait, .serialized)
    struct MapTests {
        @Test(
            "hash, LRU hash and array: update, lookup, next-key walk, delete; batch reads equal one-by-one reads",
            arguments: [MapType.hash, .lruHash, .array])
        func keyedMaps(type: MapType) throws {
            try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                do {
                    let fd = try makeMap(type, entries: 100)
                    try fd.update(keys: (0..<100).map { u32($0) }, values: (0..<100).map { u64(UInt64($0) * 3) })
                    #expect(try fd.value(u32(7)) == u64(21))
                    let walked = try fd.allKeys()
                    #expect(Set(walked) == Set((0..<100).map { u32($0) }))
                    // The lazy walk: the same keys; stopping early reads no further.
                    #expect(try fd.keys.map { try $0.get() } == walked)
                    #expect(try fd.keys.prefix(3).map { try $0.get() } == Array(walked.prefix(3)))
                    // A failure is the last element (here: a queue, which has no keys to walk).
                    let failed = Array(try makeMap(.queue, key: 0, value: 4, entries: 4).keys)
                    #expect(failed.count == 1)
                    #expect(throws: SyscallError.self) { try failed[0].get() }
                    let oneByOne = try walked.map { ($0, try fd.value($0)) }
                    for chunk in [1, 7, 256] {
                        let batched = try fd.entries(chunk: chunk)
                        #expect(batched.count == 100, "chunk \(chunk)")
                        #expect(table(batched) == table(oneByOne), "chunk \(chunk)")
                    }
                    if type == .array {
                        // Array entries cannot be deleted: EINVAL, as the kernel says.
                        #expect(throws: SyscallError.self) { try fd.delete(u32(1)) }
                    } else {
                        try fd.delete(u32(1))
                        try fd.delete(keys: (2..<50).map { u32($0) })
                        #expect(try fd.allKeys().count == 51)
                        #expect(try fd.nextKey(after: nil) != nil)
                        let taken = try fd.entries(deleting: true)
                        #expect(taken.count == 51)
                        #expect(try fd.allKeys().isEmpty)
                        #expect(try fd.nextKey(after: nil) == nil)
                    }
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test("update flags: NOEXIST refuses an existing key, EXIST a missing one")
        func updateFlags() throws {
            try KernelObjects.exclusively {
                let map = try makeMap(.hash)
                try map.update(u32(1), u64(1), flags: 1)
                #expect(throws: SyscallError(operation: "BPF_MAP_UPDATE_ELEM", errno: EEXIST)) {
                    try map.update(u32(1), u64(2), flags: 1)
                }
                #expect(throws: SyscallError(operation: "BPF_MAP_UPDATE_ELEM", errno: ENOENT)) {
                    try map.update(u32(2), u64(2), flags: 2)
                }
                #expect(try map.lookupAndDelete(u32(1)) == u64(1))
                #expect(try map.lookupAndDelete(u32(1)) == nil)
            }
        }

        @Test(
            "per-CPU hash and array: one value per possible CPU, written and read back per CPU",
            arguments: [MapType.perCPUHash, .perCPUArray])
        func perCPU(type: MapType) throws {
            try KernelObjects.exclusively {
                // A 12-byte value: each CPU's slot is padded to 16.
                let map = try makeMap(type, value: 12, entries: 4)
                let values = (0..<(try PossibleCPUs.count)).map { cpu in (0..<12).map { UInt8(cpu * 16 + $0) } }
                try map.updatePerCPU(u32(2), values: values)
                #expect(try map.lookupPerCPU(u32(2)) == values)
                #expect(throws: SyscallError.self) {
                    try map.updatePerCPU(u32(2), values: [[0]])
                }
                let batched = try map.entries()
                let entry = try #require(batched.first { $0.key == u32(2) })
                #expect(Array(entry.value[0..<12]) == values[0])
            }
        }

        @Test("a key or value buffer of another size than the map's is refused before the kernel reads or writes it")
        func bufferSizesChecked() throws {
            try KernelObjects.exclusively {
                let map = try makeMap(.hash, key: 8, value: 64, entries: 4)
                func refused(_ body: () throws -> Void) -> Bool {
                    do { try body(); return false } catch {
                        guard let error = error as? SyscallError else { return false }
                        return error.errno == EINVAL && error.operation.contains("refused before the call")
                    }
                }
                #expect(refused { try map.update(u32(1), [UInt8](repeating: 0, count: 64)) })
                #expect(refused { try map.update(u64(1), u64(1)) })
                #expect(refused { _ = try map.value(u32(1)) })
                #expect(refused { _ = try map.lookupAndDelete(u32(1)) })
                #expect(refused { _ = try map.nextKey(after: u32(0)) })
                #expect(refused { try map.delete(u32(1)) })
                #expect(
                    refused {
                        try map.update(keys: [u64(1), u32(2)], values: [[UInt8](repeating: 0, count: 64), u64(0)])
                    })
                #expect(refused { _ = try map.lookupPerCPU(u64(1)) })
                // Walks size their buffers from the map: a queue's keyless walk is the kernel's refusal, not a short buffer.
                let queue = try makeMap(.queue, key: 0, value: 4, entries: 4)
                #expect(throws: SyscallError.self) { _ = try queue.allKeys() }
                #expect(refused { try queue.push(u64(1)) })
                #expect(throws: SyscallError.self) { _ = try map.lookupPerCPU(u64(1)) }
                #expect(try map.entries(chunk: Int.max).isEmpty)
                // The right sizes still work.
                try map.update(u64(1), [UInt8](repeating: 7, count: 64))
                #expect(try map.value(u64(1)) == [UInt8](repeating: 7, count: 64))
            }
        }

        @Test("a spec whose map sizes were changed after open fails before any kernel object is made")
        func adjustedSpecRefusedBeforeLoad() throws {
            try KernelObjects.exclusively {
                var spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/maps.bpfel.o")
                let jumps = try #require(spec.maps.firstIndex { $0.name == "jumps" })
                spec.maps[jumps].valueSize = 64
                let before = KernelObjects.openCount()
                #expect {
                    _ = try spec.load()
                } throws: { error in
                    guard case let .spec(.invalidMap(name, _, _)) = error as? LoadError else { return false }
                    return name == "jumps"
                }
                #expect(KernelObjects.openCount() == before)
            }
        }

        @Test("queue and stack: push, then pop in FIFO and LIFO order; empty pops give nil")
        func queueAndStack() throws {
            try KernelObjects.exclusively {
                for (type, order) in [(MapType.queue, [1, 2, 3]), (.stack, [3, 2, 1])] {
                    let map = try makeMap(type, key: 0, value: 4, entries: 8)
                    for v in 1...3 { try map.push(u32(UInt32(v))) }
                    var popped: [[UInt8]] = []
                    while let v = try map.lookupAndDelete(nil) { popped.append(v) }
                    #expect(popped == order.map { u32(UInt32($0)) }, "\(type)")
                }
            }
        }

        @Test("LPM trie: longest prefix wins")
        func lpmTrie() throws {
            try KernelObjects.exclusively {
                // key: u32 prefix length + 4 address bytes; BPF_F_NO_PREALLOC is required.
                let map = try makeMap(.lpmTrie, key: 8, value: 4, entries: 16, flags: 1)
                try map.update(u32(8) + [10, 0, 0, 0], u32(8))
                try map.update(u32(24) + [10, 1, 2, 0], u32(24))
                #expect(try map.lookup(u32(32) + [10, 1, 2, 3]) == u32(24))
                #expect(try map.lookup(u32(32) + [10, 9, 9, 9]) == u32(8))
                #expect(try map.lookup(u32(32) + [11, 0, 0, 0]) == nil)
            }
        }

        @Test(
            "BPF_F_LOCK: a value holding a bpf_spin_lock is written and read under the lock, beside a program taking it"
        )
        func spinLock() throws {
            try KernelObjects.exclusively {
                let object = try loadTestData("spinlock.bpfel.o")
                let map = try object.map(named: "locked").required("map locked")
                let program = try object.program(named: "add_one").required("program add_one")
                let lock: UInt64 = 4  // BPF_F_LOCK
                // struct counter { struct bpf_spin_lock lock; /* 4 bytes of padding */ __u64 count; }
                func count(_ value: [UInt8]) -> UInt64 { value[8..<16].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
                try map.update(u32(0), [UInt8](repeating: 0, count: 8) + [41, 0, 0, 0, 0, 0, 0, 0], flags: lock)
                #expect(count(try #require(try map.lookup(u32(0), flags: lock))) == 41)
                #expect(try program.testRun().returnValue == 0)
                #expect(count(try #require(try map.lookup(u32(0), flags: lock))) == 42)
                // A map without a lock refuses the flag.
                let plain = try makeMap(.array, key: 4, value: 8, entries: 1)
                #expect(throws: SyscallError.self) { try plain.lookup(u32(0), flags: lock) }
            }
        }
    }
}
