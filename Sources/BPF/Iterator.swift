import Glibc

extension Attach {
    /// An iterator program (`iter/task`, `iter/bpf_map`, …) as a link (`BPF_TRACE_ITER`), from
    /// which ``Link/readIterator()`` reads: each read walks the kernel objects again.
    public static func iterator(program: borrowing FileDescriptor) throws(AttachError) -> Link {
        do {
            return Link(
                try LinkCommands.create(
                    program: program.rawValue, target: 0, attachType: LinkCommands.iteratorAttachType))
        } catch {
            throw .system(error)
        }
    }
}

extension LinkCommands {
    /// `BPF_TRACE_ITER`.
    package static let iteratorAttachType: UInt32 = 28

    /// `BPF_ITER_CREATE`: a new descriptor that runs the iterator link's program as it is read.
    package static func createIterator(link: Int32) throws(SyscallError) -> FileDescriptor {
        var attr = IterCreateAttr()
        attr.linkFD = UInt32(bitPattern: link)
        return try Syscall.bpfDescriptor(.iteratorCreate, &attr, "BPF_ITER_CREATE")
    }
}

extension Link {
    /// Runs the iterator once (`BPF_ITER_CREATE`, then reads to the end) and returns what
    /// its program printed with `bpf_seq_printf`/`bpf_seq_write`.
    public func readIterator() throws(SyscallError) -> [UInt8] {
        let iterator = try LinkCommands.createIterator(link: descriptor.rawValue)
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = try Syscall.call("read of a BPF iterator") {
                chunk.withUnsafeMutableBytes { read(iterator.rawValue, $0.baseAddress, $0.count) }
            }
            if count == 0 { return output }
            output += chunk[..<count]
        }
    }
}
