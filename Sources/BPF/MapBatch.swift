import Glibc

extension MapCommands {
    /// Every entry of a map, read `chunk` at a time with `BPF_MAP_LOOKUP_BATCH` (or
    /// `…_AND_DELETE_BATCH` when `deleting`); where the kernel or map type has no batch
    /// support (`EINVAL`, `ENOTSUPP`), one key at a time instead. `keySize` and `valueSize` are
    /// the map's (`valueSize` the whole value buffer: for per-CPU maps stride × possible CPUs). A
    /// deleting read falls back only on `ENOTSUPP`, so that it never deletes twice.
    static func entries(
        _ fd: Int32, keySize: Int, valueSize: Int, chunk: Int = 256, deleting: Bool = false
    )
        throws(SyscallError) -> [(key: [UInt8], value: [UInt8])]
    {
        do {
            // The sizes are the map's (checked): a chunk of at most 65,536 entries keeps the buffers' sizes in range.
            return try batchEntries(
                fd, keySize: keySize, valueSize: valueSize, chunk: min(max(1, chunk), 1 << 16), deleting: deleting)
        } catch  where Self.batchUnsupported(error) || (!deleting && error.errno == EINVAL) {
            var entries: [(key: [UInt8], value: [UInt8])] = []
            var previous: [UInt8]?
            while let key = try keyed(.mapGetNextKey, "BPF_MAP_GET_NEXT_KEY", fd, key: previous, output: keySize) {
                previous = key
                let command: Command = deleting ? .mapLookupAndDeleteElement : .mapLookupElement
                if let value = try keyed(
                    command, deleting ? "BPF_MAP_LOOKUP_AND_DELETE_ELEM" : "BPF_MAP_LOOKUP_ELEM", fd, key: key,
                    output: valueSize)
                {
                    entries.append((key, value))
                }
                if entries.count > 1 << 24 { break }  // a map being refilled as we walk it: stop somewhere
            }
            return entries
        }
    }

    private static func batchEntries(
        _ fd: Int32, keySize: Int, valueSize: Int, chunk initialChunk: Int, deleting: Bool
    )
        throws(SyscallError) -> [(key: [UInt8], value: [UInt8])]
    {
        var entries: [(key: [UInt8], value: [UInt8])] = []
        // The batch token: a bucket (hash maps, u32) or key (arrays); room for either.
        var inBatch = [UInt8](repeating: 0, count: max(keySize, 8)), outBatch = inBatch
        var chunk = initialChunk
        var keys = [UInt8](repeating: 0, count: keySize * chunk),
            values = [UInt8](repeating: 0, count: valueSize * chunk)
        var first = true
        let command: Command = deleting ? .mapLookupAndDeleteBatch : .mapLookupBatch
        while true {
            let count: Int, done: Bool
            do {
                (count, done) = try lookupBatch(
                    command, fd, from: first ? nil : inBatch, into: &outBatch, keys: &keys, values: &values,
                    chunk: chunk)
            } catch  where error.errno == ENOSPC && chunk < 1 << 20 {
                // A hash bucket holds more entries than `chunk`: retry the same bucket with more room.
                chunk *= 2
                keys = [UInt8](repeating: 0, count: keySize * chunk)
                values = [UInt8](repeating: 0, count: valueSize * chunk)
                continue
            }
            for n in 0..<min(count, chunk) {
                entries.append(
                    (Array(keys[n * keySize..<(n + 1) * keySize]), Array(values[n * valueSize..<(n + 1) * valueSize])))
            }
            if done { return entries }
            inBatch = outBatch
            first = false
        }
    }

    /// One `BPF_MAP_LOOKUP(_AND_DELETE)_BATCH` of up to `chunk` entries after the batch token `from`
    /// (nil: from the start): how many it read, and whether that was the last chunk.
    private static func lookupBatch(
        _ command: Command, _ fd: Int32, from inBatch: [UInt8]?, into outBatch: inout [UInt8],
        keys: inout [UInt8], values: inout [UInt8], chunk: Int
    ) throws(SyscallError) -> (Int, Bool) {
        try (inBatch ?? []).withBytes { (i) throws(SyscallError) in
            try outBatch.withMutableBytes { (o) throws(SyscallError) in
                try keys.withMutableBytes { (k) throws(SyscallError) in
                    try values.withMutableBytes { (v) throws(SyscallError) -> (Int, Bool) in
                        var attr = MapBatchAttr()
                        attr.inBatch = inBatch == nil ? 0 : kernelAddress(i.baseAddress)
                        attr.outBatch = kernelAddress(o.baseAddress)
                        attr.keys = kernelAddress(k.baseAddress)
                        attr.values = kernelAddress(v.baseAddress)
                        attr.count = UInt32(chunk)
                        attr.mapFD = UInt32(bitPattern: fd)
                        let operation =
                            command == .mapLookupBatch ? "BPF_MAP_LOOKUP_BATCH" : "BPF_MAP_LOOKUP_AND_DELETE_BATCH"
                        do throws(SyscallError) {
                            _ = try Syscall.bpf(command, &attr, operation)
                            return (Int(attr.count), false)
                        } catch  where error.errno == ENOENT {
                            return (Int(attr.count), true)  // the last chunk
                        }
                    }
                }
            }
        }
    }

    /// `BPF_MAP_UPDATE_BATCH` (falling back to one update per key): `keys` and `values` pair up.
    static func update(_ fd: Int32, keys: [[UInt8]], values: [[UInt8]], flags: UInt64 = 0) throws(SyscallError) {
        guard !keys.isEmpty else { return }
        do {
            try batch(.mapUpdateBatch, "BPF_MAP_UPDATE_BATCH", fd, keys: keys, values: values, flags: flags)
        } catch  where Self.batchUnsupported(error) {
            for (key, value) in zip(keys, values) {
                try uncheckedUpdate(descriptor: fd, key: key, value: value, flags: flags)
            }
        }
    }

    /// `BPF_MAP_DELETE_BATCH` (falling back to one delete per key).
    static func delete(_ fd: Int32, keys: [[UInt8]]) throws(SyscallError) {
        guard !keys.isEmpty else { return }
        do {
            try batch(.mapDeleteBatch, "BPF_MAP_DELETE_BATCH", fd, keys: keys, values: nil, flags: 0)
        } catch  where Self.batchUnsupported(error) {
            for key in keys { try uncheckedDelete(descriptor: fd, key: key) }
        }
    }

    /// The map type has no batch operations.
    private static func batchUnsupported(_ error: SyscallError) -> Bool {
        error.errno == ENOTSUPP_ || error.errno == EOPNOTSUPP
    }

    private static func batch(
        _ command: Command, _ operation: String, _ fd: Int32, keys: [[UInt8]], values: [[UInt8]]?, flags: UInt64
    ) throws(SyscallError) {
        let packedKeys = keys.flatMap { $0 }, packedValues = values?.flatMap { $0 } ?? []
        try packedKeys.withBytes { (k) throws(SyscallError) in
            try packedValues.withBytes { (v) throws(SyscallError) in
                var attr = MapBatchAttr()
                attr.keys = kernelAddress(k.baseAddress)
                attr.values = values == nil ? 0 : kernelAddress(v.baseAddress)
                attr.count = UInt32(keys.count)
                attr.mapFD = UInt32(bitPattern: fd)
                attr.elemFlags = flags
                _ = try Syscall.bpf(command, &attr, operation)
            }
        }
    }
}
