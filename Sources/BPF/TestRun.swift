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

extension ProgramCommands {
    /// `BPF_PROG_TEST_RUN`: runs a loaded program in the kernel on `data` (packet programs)
    /// and/or `context` (e.g. a `syscall` program's argument struct). `repeat` 0 means once
    /// (the only value `syscall` programs accept); `dataCapacity` bounds the packet the
    /// program may grow into (default: `data.count + 256`).
    public static func testRun(
        descriptor fd: Int32, data: [UInt8] = [], context: [UInt8] = [], repeat count: UInt32 = 0,
        dataCapacity: Int? = nil, flags: UInt32 = 0
    ) throws(SyscallError) -> TestRunResult {
        var dataOut = [UInt8](repeating: 0, count: data.isEmpty ? 0 : (dataCapacity ?? data.count + 256))
        var contextInOut = context
        let outcome = data.withUnsafeBytes { dataIn in
            dataOut.withUnsafeMutableBytes { dataOutBytes in
                contextInOut.withUnsafeMutableBytes { contextBytes -> Result<(UInt32, UInt32, Int), SyscallError> in
                    var attr = Attribute(size: 80)
                    attr.set(UInt32(bitPattern: fd), at: 0)
                    attr.set(UInt32(dataIn.count), at: 8)
                    attr.set(UInt32(dataOutBytes.count), at: 12)
                    attr.set(dataIn.isEmpty ? nil : dataIn.baseAddress, at: 16)
                    attr.set(dataOutBytes.isEmpty ? nil : UnsafeRawPointer(dataOutBytes.baseAddress), at: 24)
                    attr.set(count, at: 32)
                    attr.set(UInt32(contextBytes.count), at: 40)
                    attr.set(contextBytes.isEmpty ? nil : UnsafeRawPointer(contextBytes.baseAddress), at: 48)
                    attr.set(flags, at: 64)
                    do throws(SyscallError) {
                        _ = try attr.call(.programTestRun, "BPF_PROG_TEST_RUN")
                        return .success((attr.u32(at: 4), attr.u32(at: 36), Int(attr.u32(at: 12))))
                    } catch { return .failure(error) }
                }
            }
        }
        let (returnValue, duration, dataSize) = try outcome.get()
        return TestRunResult(
            returnValue: returnValue, duration: duration,
            data: Array(dataOut.prefix(dataSize)), context: contextInOut)
    }
}
