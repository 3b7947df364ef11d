import ParserHarness

/// BTF.ext over a BTF blob: input = u32 BTF length (little endian), BTF bytes, BTF.ext bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBTFExt(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Harness.btfExt(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
