import CFuzzSupport
import ParserHarness

/// BTF: open, decode every type, look names up, compute layouts, dump raw and C.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBTF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Harness.btf(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// Structure-aware mutations (see `StructureMutator`), with libFuzzer's byte mutations the other half of the time.
@_cdecl("LLVMFuzzerCustomMutator")
public func mutate(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    guard let data else { return 0 }
    return Harness.mutate(data, size: size, maxSize: maxSize, seed: seed, shape: .btf) { LLVMFuzzerMutate($0, $1, $2) }
}
