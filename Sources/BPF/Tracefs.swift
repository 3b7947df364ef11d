import ELF64
import Glibc

/// The kernel's tracing file system, where tracepoint ids live.
enum Tracefs {
    static let roots = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]

    /// The id of a tracepoint, mounting tracefs at /sys/kernel/tracing if it is not mounted.
    static func tracepointID(category: String, name: String) throws(AttachError) -> UInt64 {
        guard !category.includes(".."), !name.includes(".."), !category.includes("/"), !name.includes("/") else {
            throw .target(.badTracepoint(category: category, name: name))
        }
        if !roots.contains(where: { access($0 + "/events", F_OK) == 0 }) {
            mkdir(roots[0], 0o755)
            if mount("tracefs", roots[0], "tracefs", 0, nil) != 0 {
                throw .system(SyscallError(operation: "mount tracefs at \(roots[0])", errno: errno))
            }
        }
        for root in roots {
            let path = "\(root)/events/\(category)/\(name)/id"
            guard let storage = try? ByteStorage(contentsOfFile: path) else { continue }
            let text = storage.text.split(separator: "\n").first ?? ""
            if let id = UInt64(text) { return id }
        }
        throw .target(.noTracepoint(category: category, name: name))
    }

    /// Whether the kernel offers kprobes (a kprobe PMU or tracefs kprobe_events).
    static var kprobesAvailable: Bool {
        access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0
            || roots.contains { access($0 + "/kprobe_events", F_OK) == 0 }
    }
}
