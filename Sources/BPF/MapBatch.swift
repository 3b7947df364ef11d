import Glibc

extension MapCommands {
    /// `BPF_MAP_LOOKUP_AND_DELETE_ELEM`: takes the value of `key` out of the map; with no key,
    /// pops the head of a queue or the top of a stack. Nil when there is nothing to take.
    public static func lookupAndDelete(descriptor fd: Int32, key: [UInt8]?, valueSize: Int) throws(SyscallError) -> [UInt8]? {
        try MapBufferSizes.check(fd, key: key?.count, value: valueSize, "BPF_MAP_LOOKUP_AND_DELETE_ELEM")
        return try keyed(.mapLookupAndDeleteElement, "BPF_MAP_LOOKUP_AND_DELETE_ELEM", fd, key: key, output: valueSize)
    }

    /// Pushes `value` onto a queue or stack map (`BPF_MAP_UPDATE_ELEM` without a key).
    public static func push(descriptor fd: Int32, value: [UInt8], flags: UInt64 = 0) throws(SyscallError) {
        try MapBufferSizes.check(fd, key: nil, value: value.count, "BPF_MAP_UPDATE_ELEM (push)")
        let result = value.withUnsafeBytes { v -> Result<Void, SyscallError> in
            var attr = Attribute(size: 32)
            attr.set(UInt32(bitPattern: fd), at: 0)
            attr.set(v.baseAddress, at: 16)
            attr.set(flags, at: 24)
            do throws(SyscallError) { _ = try attr.call(.mapUpdateElement, "BPF_MAP_UPDATE_ELEM (push)"); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    /// Every entry of a map, read `chunk` at a time with `BPF_MAP_LOOKUP_BATCH` (or
    /// `…_AND_DELETE_BATCH` when `deleting`); where the kernel or map type has no batch
    /// support (`EINVAL`, `ENOTSUPP`), one key at a time instead. `valueSize` is the whole
    /// value buffer (for per-CPU maps: stride × possible CPUs). A deleting read falls back only
    /// on `ENOTSUPP`, so that it never deletes twice.
    public static func entries(descriptor fd: Int32, keySize: Int, valueSize: Int, chunk: Int = 256, deleting: Bool = false)
        throws(SyscallError) -> [(key: [UInt8], value: [UInt8])]
    {
        try MapBufferSizes.check(fd, key: keySize, value: valueSize, deleting ? "BPF_MAP_LOOKUP_AND_DELETE_BATCH" : "BPF_MAP_LOOKUP_BATCH")
        do {
            // The sizes are the map's (checked): a chunk of at most 65,536 entries keeps the buffers' sizes in range.
            return try batchEntries(fd, keySize: keySize, valueSize: valueSize, chunk: min(max(1, chunk), 1 << 16), deleting: deleting)
        } catch where Self.batchUnsupported(error) || (!deleting && error.errno == EINVAL) {
            var entries: [(key: [UInt8], value: [UInt8])] = []
            for key in uncheckedKeySequence(descriptor: fd, keySize: keySize) {
                let key = try key.get()
                let command: Command = deleting ? .mapLookupAndDeleteElement : .mapLookupElement
                if let value = try keyed(command, deleting ? "BPF_MAP_LOOKUP_AND_DELETE_ELEM" : "BPF_MAP_LOOKUP_ELEM", fd, key: key, output: valueSize) {
                    entries.append((key, value))
                }
                if entries.count > 1 << 24 { break }  // a map being refilled as we walk it: stop somewhere
            }
            return entries
        }
    }

    private static func batchEntries(_ fd: Int32, keySize: Int, valueSize: Int, chunk initialChunk: Int, deleting: Bool)
        throws(SyscallError) -> [(key: [UInt8], value: [UInt8])]
    {
        var entries: [(key: [UInt8], value: [UInt8])] = []
        // The batch token: a bucket (hash maps, u32) or key (arrays); room for either.
        var inBatch = [UInt8](repeating: 0, count: max(keySize, 8)), outBatch = inBatch
        var chunk = initialChunk
        var keys = [UInt8](repeating: 0, count: keySize * chunk), values = [UInt8](repeating: 0, count: valueSize * chunk)
        var first = true
        let command: Command = deleting ? .mapLookupAndDeleteBatch : .mapLookupBatch
        while true {
            let outcome = inBatch.withUnsafeBytes { i in
                outBatch.withUnsafeMutableBytes { o in
                    keys.withUnsafeMutableBytes { k in
                        values.withUnsafeMutableBytes { v -> Result<(Int, Bool), SyscallError> in
                            var attr = Attribute(size: 56)
                            attr.set(first ? nil : i.baseAddress, at: 0)
                            attr.set(UnsafeRawPointer(o.baseAddress), at: 8)
                            attr.set(UnsafeRawPointer(k.baseAddress), at: 16)
                            attr.set(UnsafeRawPointer(v.baseAddress), at: 24)
                            attr.set(UInt32(chunk), at: 32)
                            attr.set(UInt32(bitPattern: fd), at: 36)
                            do throws(SyscallError) {
                                _ = try attr.call(command, deleting ? "BPF_MAP_LOOKUP_AND_DELETE_BATCH" : "BPF_MAP_LOOKUP_BATCH")
                                return .success((Int(attr.u32(at: 32)), false))
                            } catch where error.errno == ENOENT {
                                return .success((Int(attr.u32(at: 32)), true))  // the last chunk
                            } catch {
                                return .failure(error)
                            }
                        }
                    }
                }
            }
            let count: Int, done: Bool
            do { (count, done) = try outcome.get() } catch where error.errno == ENOSPC && chunk < 1 << 20 {
                // A hash bucket holds more entries than `chunk`: retry the same bucket with more room.
                chunk *= 2
                keys = [UInt8](repeating: 0, count: keySize * chunk)
                values = [UInt8](repeating: 0, count: valueSize * chunk)
                continue
            }
            for n in 0..<min(count, chunk) {
                entries.append((Array(keys[n * keySize..<(n + 1) * keySize]), Array(values[n * valueSize..<(n + 1) * valueSize])))
            }
            if done { return entries }
            inBatch = outBatch
            first = false
        }
    }

    /// `BPF_MAP_UPDATE_BATCH` (falling back to one update per key): `keys` and `values` pair up.
    public static func update(descriptor fd: Int32, keys: [[UInt8]], values: [[UInt8]], flags: UInt64 = 0) throws(SyscallError) {
        guard keys.count == values.count else {
            throw SyscallError(operation: "BPF_MAP_UPDATE_BATCH (\(keys.count) keys, \(values.count) values)", errno: EINVAL)
        }
        guard !keys.isEmpty else { return }
        let sizes = try MapBufferSizes(descriptor: fd)
        for (key, value) in zip(keys, values) { try sizes.check(key: key.count, value: value.count, "BPF_MAP_UPDATE_BATCH") }
        do {
            try batch(.mapUpdateBatch, "BPF_MAP_UPDATE_BATCH", fd, keys: keys, values: values, flags: flags)
        } catch where Self.batchUnsupported(error) {
            for (key, value) in zip(keys, values) { try uncheckedUpdate(descriptor: fd, key: key, value: value, flags: flags) }
        }
    }

    /// `BPF_MAP_DELETE_BATCH` (falling back to one delete per key).
    public static func delete(descriptor fd: Int32, keys: [[UInt8]]) throws(SyscallError) {
        guard !keys.isEmpty else { return }
        let sizes = try MapBufferSizes(descriptor: fd)
        for key in keys { try sizes.check(key: key.count, value: nil, "BPF_MAP_DELETE_BATCH") }
        do {
            try batch(.mapDeleteBatch, "BPF_MAP_DELETE_BATCH", fd, keys: keys, values: nil, flags: 0)
        } catch where Self.batchUnsupported(error) {
            for key in keys { try uncheckedDelete(descriptor: fd, key: key) }
        }
    }

    /// The map type has no batch operations.
    private static func batchUnsupported(_ error: SyscallError) -> Bool {
        error.errno == ENOTSUPP_ || error.errno == EOPNOTSUPP
    }

    private static func batch(_ command: Command, _ operation: String, _ fd: Int32, keys: [[UInt8]], values: [[UInt8]]?, flags: UInt64) throws(SyscallError) {
        let packedKeys = keys.flatMap { $0 }, packedValues = values?.flatMap { $0 } ?? []
        let outcome = packedKeys.withUnsafeBytes { k in
            packedValues.withUnsafeBytes { v -> Result<Void, SyscallError> in
                var attr = Attribute(size: 56)
                attr.set(k.baseAddress, at: 16)
                attr.set(values == nil ? nil : v.baseAddress, at: 24)
                attr.set(UInt32(keys.count), at: 32)
                attr.set(UInt32(bitPattern: fd), at: 36)
                attr.set(flags, at: 40)
                do throws(SyscallError) { _ = try attr.call(command, operation); return .success(()) } catch { return .failure(error) }
            }
        }
        try outcome.get()
    }
}
