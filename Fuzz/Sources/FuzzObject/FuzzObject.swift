import CFuzzSupport
import ParserHarness

/// Object spec: programs, maps, relocations, linking, disassembly, kernel BTF.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzObject(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Harness.object(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// Structure-aware mutations (see `StructureMutator`), with libFuzzer's byte mutations the other half of the time.
@_cdecl("LLVMFuzzerCustomMutator")
public func mutate(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    guard let data else { return 0 }
    return Harness.mutate(data, size: size, maxSize: maxSize, seed: seed, shape: .elf) { LLVMFuzzerMutate($0, $1, $2) }
}
