import CFuzzSupport
import ParserHarness

/// Static linking: link the input alone and with itself; the output must read back and link again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLink(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Harness.link(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// The object target's structure-aware mutations (sections, symbols, relocations, BTF rewritten together).
@_cdecl("LLVMFuzzerCustomMutator")
public func mutate(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    guard let data else { return 0 }
    return Harness.mutate(data, size: size, maxSize: maxSize, seed: seed, shape: .elf) { LLVMFuzzerMutate($0, $1, $2) }
}
