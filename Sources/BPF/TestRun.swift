/// What `BPF_PROG_TEST_RUN` reports back.
public struct TestRunResult: Sendable, Equatable {
    /// The program's return value (of the last run).
    public var returnValue: UInt32
    /// Average run time in nanoseconds over the repetitions.
    public var duration: UInt32
    /// The packet data as the program left it (empty when none was given).
    public var data: [UInt8]
    /// The context as the program left it, for program types that write it back in
    /// place (`syscall`); otherwise the context that was passed in.
    public var context: [UInt8]
}

extension Program {
    /// `BPF_PROG_TEST_RUN`: runs the program in the kernel on `data` (packet programs) and/or
    /// `context` (e.g. a `syscall` program's argument struct). `repeat` 0 means once (the only
    /// value `syscall` programs accept); `dataCapacity` bounds the packet the program may grow
    /// into (default: `data.count + 256`).
    public func testRun(
        data: [UInt8] = [], context: [UInt8] = [], repeat count: UInt32 = 0,
        dataCapacity: Int? = nil, flags: UInt32 = 0
    ) throws(SyscallError) -> TestRunResult {
        let fd = descriptor.rawValue
        var dataOut = [UInt8](repeating: 0, count: data.isEmpty ? 0 : (dataCapacity ?? data.count + 256))
        var contextInOut = context
        let (returnValue, duration, dataSize) = try data.withBytes { (dataIn) throws(SyscallError) in
            try dataOut.withMutableBytes { (dataOutBytes) throws(SyscallError) in
                try contextInOut.withMutableBytes { (contextBytes) throws(SyscallError) in
                    var attr = TestRunAttr()
                    attr.progFD = UInt32(bitPattern: fd)
                    attr.dataSizeIn = UInt32(dataIn.count)
                    attr.dataSizeOut = UInt32(dataOutBytes.count)
                    attr.dataIn = dataIn.isEmpty ? 0 : kernelAddress(dataIn.baseAddress)
                    attr.dataOut = dataOutBytes.isEmpty ? 0 : kernelAddress(dataOutBytes.baseAddress)
                    attr.repeatCount = count
                    attr.ctxSizeIn = UInt32(contextBytes.count)
                    attr.ctxIn = contextBytes.isEmpty ? 0 : kernelAddress(contextBytes.baseAddress)
                    attr.flags = flags
                    _ = try Syscall.bpf(.programTestRun, &attr, "BPF_PROG_TEST_RUN")
                    return (attr.retval, attr.duration, Int(attr.dataSizeOut))
                }
            }
        }
        return TestRunResult(
            returnValue: returnValue, duration: duration,
            data: Array(dataOut.prefix(dataSize)), context: contextInOut)
    }
}
