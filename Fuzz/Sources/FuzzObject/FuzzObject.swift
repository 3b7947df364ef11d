import ParserHarness

/// Object spec: programs, maps, relocations, linking, disassembly, kernel BTF.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzObject(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Harness.object(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
