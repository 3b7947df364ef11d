/// The order in which a file stores multi-byte integers.
public enum ByteOrder: Sendable, Hashable, CustomStringConvertible {
    case little
    case big

    /// The byte order of the machine running this code.
    public static var host: ByteOrder { 1.littleEndian == 1 ? .little : .big }

    public var description: String { self == .little ? "little endian" : "big endian" }
}
