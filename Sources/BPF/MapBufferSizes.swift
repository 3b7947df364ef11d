import BPFObject
import Glibc

/// The sizes of the buffers the kernel reads and writes for one map: no map command
/// hands the kernel a key or value shorter than these.
struct MapBufferSizes {
    /// `key_size` (0 for queues, stacks and bloom filters, which take no key).
    let key: Int
    /// One value: `value_size`, or for per-CPU maps one 8-byte-aligned value per possible CPU.
    let value: Int
    let name: String

    /// The sizes of the map behind `fd`, read from the kernel (`bpf_map_info`).
    init(descriptor fd: Int32) throws(SyscallError) {
        let info = try MapInfo(descriptor: fd)
        key = Int(info.keySize)
        name = info.name
        value = try info.valueBufferSize()
    }

    /// Throws unless `key` (when given, for a map that takes keys) and `value` (a byte count, when
    /// given) are exactly the map's sizes: checked before `operation` reaches the kernel.
    func check(key: Int?, value: Int?, _ operation: String) throws(SyscallError) {
        // Exact, also for maps without keys (queues, stacks, bloom filters take 0): a negative or
        // oversized size is refused here, before any buffer is sized by it.
        if let key, key != self.key {
            throw SyscallError(operation: "\(operation): a \(key)-byte key for map '\(name)', whose keys are \(self.key) bytes (refused before the call)", errno: EINVAL)
        }
        if let value, value != self.value {
            throw SyscallError(operation: "\(operation): a \(value)-byte value buffer for map '\(name)', whose values take \(self.value) bytes (refused before the call)", errno: EINVAL)
        }
    }

    /// Checks `key` and `value` sizes against the map behind `fd`.
    static func check(_ fd: Int32, key: Int?, value: Int?, _ operation: String) throws(SyscallError) {
        try MapBufferSizes(descriptor: fd).check(key: key, value: value, operation)
    }
}

extension MapInfo {
    /// Whether lookups return one value per possible CPU (per-CPU hash, array, LRU hash, cgroup storage).
    public var isPerCPU: Bool { [5, 6, 10, 21].contains(type.rawValue) }

    /// The bytes a lookup fills and an update reads: the value size, or for a per-CPU map one
    /// 8-byte-aligned value per possible CPU (an error when the CPUs cannot be counted).
    public func valueBufferSize() throws(SyscallError) -> Int {
        isPerCPU ? MapCommands.perCPUStride(valueSize: Int(valueSize)) * (try PossibleCPUs.count) : Int(valueSize)
    }
}
