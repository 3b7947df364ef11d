import ParserHarness

/// ELF64: open, then walk every section, symbol and relocation.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzELF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Harness.elf(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
