import BPFObject

/// Why a generated skeleton could not open or load its object.
public enum SkeletonError: Error, Sendable, CustomStringConvertible {
    /// The embedded object (or the file it names) does not read.
    case object(ObjectError)
    /// The embedded text is not the base64 the generator writes.
    case corruptEmbedding
    /// The object differs from the one the skeleton was generated from: what is missing or moved.
    case layoutMismatch(String)
    case load(LoadError)
    case globals(GlobalDataError)

    public var description: String {
        switch self {
        case let .object(error): "\(error)"
        case .corruptEmbedding: "the skeleton's embedded object is not valid base64"
        case let .layoutMismatch(what): "the object differs from the one the skeleton was generated from: \(what)"
        case let .load(error): "\(error)"
        case let .globals(error): "\(error)"
        }
    }
}
