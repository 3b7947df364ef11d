import CFuzzSupport
import ParserHarness

/// BTF deduplication: open raw BTF, deduplicate it alone and twice over, read the result back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDedup(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Harness.dedup(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// The BTF target's structure-aware mutations (retargeted references make cycles and DAGs).
@_cdecl("LLVMFuzzerCustomMutator")
public func mutate(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    guard let data else { return 0 }
    return Harness.mutate(data, size: size, maxSize: maxSize, seed: seed, shape: .btf) { LLVMFuzzerMutate($0, $1, $2) }
}
