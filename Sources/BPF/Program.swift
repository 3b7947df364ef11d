import BPFObject

/// A program in the kernel: its name, type and descriptor, closed when the last reference to it
/// goes. Links, program arrays and struct_ops maps hold the kernel program themselves, so a
/// program keeps running where it is attached after this is dropped.
public final class Program: Sendable {
    public let name: String
    public let type: ProgramType
    /// The program's descriptor, for as long as this program lives: borrow it (attach calls take
    /// `borrowing FileDescriptor`).
    public let descriptor: FileDescriptor
    /// The attach type it was loaded for, when this process loaded it (`nil` otherwise or none):
    /// a USDT program loaded for `uprobe.multi` links attaches through one.
    public let expectedAttachType: AttachType?

    init(name: String, type: ProgramType, descriptor: consuming FileDescriptor, expectedAttachType: AttachType? = nil) {
        self.name = name
        self.type = type
        self.descriptor = descriptor
        self.expectedAttachType = expectedAttachType
    }

    /// A program already in the kernel, by id.
    public convenience init(id: UInt32) throws(SyscallError) {
        try self.init(opened: try KernelObjectIDs.open(.program, id: id))
    }

    /// A program pinned on a bpffs.
    public convenience init(pinnedAt path: String) throws(SyscallError) {
        try self.init(opened: try KernelObjectIDs.open(pinned: path))
    }

    /// A program behind a descriptor this takes over, described by what the kernel reports of it.
    public convenience init(opened descriptor: consuming FileDescriptor) throws(SyscallError) {
        let info = try ProgramInfo(of: descriptor)
        self.init(name: info.name, type: info.type, descriptor: descriptor)
    }

    /// What the kernel reports about the program now (`bpf_prog_info`).
    public func info() throws(SyscallError) -> ProgramInfo { try ProgramInfo(of: descriptor) }

    /// Pins the program on a bpffs, so that it outlives this process.
    public func pin(at path: String) throws(SyscallError) { try ObjectCommands.pin(descriptor, at: path) }
}

extension Program {
    /// Loads instructions written by hand (no object): a program of `type` under `license`.
    public static func load(
        _ instructions: [Instruction], type: ProgramType, license: String, name: String = "",
        expectedAttachType: AttachType? = nil
    ) throws(ProgramLoadError) -> Program {
        var attributes = ProgramAttributes(type: type, instructions: instructions, license: license)
        attributes.name = name
        attributes.expectedAttachType = expectedAttachType
        return Program(
            name: name, type: type, descriptor: try ProgramCommands.load(attributes),
            expectedAttachType: expectedAttachType)
    }
}
