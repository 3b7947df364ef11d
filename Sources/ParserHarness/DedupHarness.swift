import BTF
import ELF64

extension Harness {
    /// Reads `bytes` as raw BTF and deduplicates it alone and concatenated with itself (the second
    /// copy must fold into the first's types); the encoded result must read back as BTF with the
    /// same number of types. Returns the typed error when the blob is rejected.
    @discardableResult
    public static func dedup(_ bytes: UnsafeRawBufferPointer) -> BTFError? {
        do throws(BTFError) {
            let btf = try BTF(unsafeBytes: bytes)
            let once = try btf.deduplicated()
            let twice = try BTF.deduplicating([btf, btf])
            for result in [once, twice] {
                let encoded = try result.encode()
                let reread = encoded.withUnsafeBytes { raw in
                    Result { () throws(BTFError) in try BTF(unsafeBytes: raw).ownTypeCount }
                }
                guard case .success(let count) = reread, count == result.typeCount else {
                    preconditionFailure("deduplicated BTF does not read back: \(reread)")
                }
                precondition(
                    result.typeMaps.allSatisfy { $0.allSatisfy { Int($0) <= count } }, "an id maps past the end")
            }
            return nil
        } catch {
            return error
        }
    }
}
