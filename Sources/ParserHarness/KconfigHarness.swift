import BPFObject
import Inflate

extension Harness {
    /// Inflates `bytes` as gzip (bounded output), then parses them, raw or inflated, as kernel configuration text.
    /// Returns the decompression error, if any (a parse never fails).
    @discardableResult
    public static func kconfig(_ bytes: UnsafeRawBufferPointer) -> Gzip.Failure? {
        let input = Array(bytes)
        var failure: Gzip.Failure?
        var text = input
        do { text = try Gzip.decompress(input, limit: 1 << 16) } catch { failure = error }
        let config = KernelConfig(text: String(decoding: text, as: UTF8.self))
        var touched = config.values.count
        for (name, value) in config.values { touched &+= name.utf8.count &+ value.utf8.count }
        _ = try? Gzip.inflate(input, limit: 1 << 16)
        blackHole(touched)
        return failure
    }
}
