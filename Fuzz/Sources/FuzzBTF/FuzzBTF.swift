import ParserHarness

/// BTF: open, decode every type, look names up, compute layouts, dump raw and C.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBTF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Harness.btf(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
