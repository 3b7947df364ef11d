import BPFObject

/// Why a skeleton cannot be generated.
public enum SkeletonGenerationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The object's byte order is not the host's: it could never be loaded here.
    case foreignByteOrder
    case object(ObjectError)
    /// `name` is not a Swift type name the skeleton can take.
    case invalidName(String)
    /// Two programs of one name: the skeleton could not tell them apart.
    case duplicateProgram(String)

    public var description: String {
        switch self {
        case .foreignByteOrder: "the object's byte order differs from this machine's: a skeleton could not load it"
        case let .object(error): "\(error)"
        case let .invalidName(name): "'\(name)' is not a usable Swift type name"
        case let .duplicateProgram(name): "two programs are named '\(SwiftNames.comment(name))'"
        }
    }
}
