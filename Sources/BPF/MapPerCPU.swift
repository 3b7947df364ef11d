import Glibc

extension MapCommands {
    /// The bytes one CPU's value takes in a per-CPU map's value buffer: the value size rounded up to 8.
    /// (A size outside a map value's 32 bits, which no map has, is clamped into them.)
    public static func perCPUStride(valueSize: Int) -> Int { (min(max(valueSize, 0), Int(UInt32.max)) + 7) & ~7 }

    /// A per-CPU map's value for `key`: one `valueSize`-byte value per possible CPU.
    public static func lookupPerCPU(descriptor fd: Int32, key: [UInt8], valueSize: Int) throws(SyscallError) -> [[UInt8]] {
        let stride = perCPUStride(valueSize: valueSize), cpus = try PossibleCPUs.count
        guard (0...Int(UInt32.max)).contains(valueSize) else {
            throw SyscallError(operation: "BPF_MAP_LOOKUP_ELEM (per-CPU): value size \(valueSize) (refused before the call)", errno: EINVAL)
        }
        let all = try lookup(descriptor: fd, key: key, valueSize: stride * cpus)
        return (0..<cpus).map { Array(all[$0 * stride..<$0 * stride + valueSize]) }
    }

    /// Sets a per-CPU map's value for `key`, one value per possible CPU (`values.count` must be
    /// `PossibleCPUs.count`, each `valueSize` bytes).
    public static func updatePerCPU(descriptor fd: Int32, key: [UInt8], values: [[UInt8]], valueSize: Int, flags: UInt64 = 0) throws(SyscallError) {
        let cpus = try PossibleCPUs.count
        guard values.count == cpus, values.allSatisfy({ $0.count == valueSize }) else {
            throw SyscallError(operation: "BPF_MAP_UPDATE_ELEM (per-CPU: \(cpus) values of \(valueSize) bytes expected)", errno: EINVAL)
        }
        let stride = perCPUStride(valueSize: valueSize)
        var packed = [UInt8](repeating: 0, count: stride * values.count)
        for (cpu, value) in values.enumerated() { packed.replaceSubrange(cpu * stride..<cpu * stride + valueSize, with: value) }
        try update(descriptor: fd, key: key, value: packed, flags: flags)
    }
}
