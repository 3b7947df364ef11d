import CFuzzSupport
import ParserHarness

/// ELF64: open, then walk every section, symbol and relocation.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzELF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Harness.elf(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// Structure-aware mutations (see `StructureMutator`), with libFuzzer's byte mutations the other half of the time.
@_cdecl("LLVMFuzzerCustomMutator")
public func mutate(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    guard let data else { return 0 }
    return Harness.mutate(data, size: size, maxSize: maxSize, seed: seed, shape: .elf) { LLVMFuzzerMutate($0, $1, $2) }
}
