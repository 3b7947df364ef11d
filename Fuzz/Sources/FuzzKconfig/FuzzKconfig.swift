import ParserHarness

/// gzip/DEFLATE and kernel configuration text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKconfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Harness.kconfig(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
