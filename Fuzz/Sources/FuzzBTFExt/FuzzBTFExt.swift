import CFuzzSupport
import ParserHarness

/// BTF.ext over a BTF blob: input = u32 BTF length (little endian), BTF bytes, BTF.ext bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBTFExt(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Harness.btfExt(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// Structure-aware mutations (see `StructureMutator`), with libFuzzer's byte mutations the other half of the time.
@_cdecl("LLVMFuzzerCustomMutator")
public func mutate(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    guard let data else { return 0 }
    return Harness.mutate(data, size: size, maxSize: maxSize, seed: seed, shape: .btfThenExt) {
        LLVMFuzzerMutate($0, $1, $2)
    }
}
