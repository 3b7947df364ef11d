import BPFObject
import BTF

extension LoadError {
    /// Why a program's kernel attach target (``LoadError/attachTarget(program:target:reason:)``) is not found.
    public enum AttachTargetProblem: Hashable, Sendable, CustomStringConvertible {
        /// The section (`tp_btf`, `fentry`, …: its pattern) names nothing after its `/`.
        case missing(section: String)
        /// Kernel BTF has no type of that name and kind (`btf_trace_<target>` typedef, a function…).
        case notInKernelBTF(name: String, kind: Kind)

        public var description: String {
            switch self {
            case let .missing(section): "section '\(section)' needs a target after '/'"
            case let .notInKernelBTF(name, kind): "no \(kind) '\(name)' in kernel BTF"
            }
        }
    }

    /// Why a map pinned by name cannot be pinned or reused (``LoadError/pin(map:path:reason:)``).
    public enum PinProblem: Hashable, Sendable, CustomStringConvertible {
        /// The map's name is not one path component (`/`, `..`, empty): no pin may leave the root.
        case nameNotOneComponent
        /// The pin root cannot be examined (`statfs` failed).
        case pinRoot(SyscallError)
        /// The pin root is not a bpffs mount.
        case notBPFFS(root: String)
        /// Opening the pinned object, or pinning the new map, failed.
        case system(SyscallError)
        /// The object pinned there is not a map.
        case notAMap(SyscallError)
        /// The pinned map is of another shape than the object's (libbpf's checks).
        case differs([PinnedMapDifference])

        public var description: String {
            switch self {
            case .nameNotOneComponent: "a map name must be one path component to be pinned by name"
            case let .pinRoot(error): "pin root: \(error)"
            case let .notBPFFS(root): "bpffs is not mounted at '\(root)' (mount -t bpf bpf \(root))"
            case let .system(error): "\(error)"
            case let .notAMap(error): "the pinned object is not a map (\(error))"
            case let .differs(differences):
                "the pinned map differs: " + differences.map(\.description).joined(separator: ", ")
            }
        }
    }

    /// One attribute in which a pinned map differs from the object's definition.
    public struct PinnedMapDifference: Hashable, Sendable, CustomStringConvertible {
        public enum Field: String, Hashable, Sendable {
            case type, keySize = "key size", valueSize = "value size", maxEntries = "max entries", flags, mapExtra =
                "map_extra"
        }
        public let field: Field
        public let pinned: UInt64
        public let object: UInt64

        public init(field: Field, pinned: UInt64, object: UInt64) {
            (self.field, self.pinned, self.object) = (field, pinned, object)
        }

        public var description: String {
            field == .type
                ? "type \(MapType(rawValue: UInt32(pinned))) (object: \(MapType(rawValue: UInt32(object))))"
                : "\(field.rawValue) \(pinned) (object: \(object))"
        }
    }

    /// Why an initial slot of a program array or map of maps cannot be set (``LoadError/slot(map:key:reason:)``).
    public enum SlotProblem: Hashable, Sendable, CustomStringConvertible {
        /// The program or map it names was not loaded or created by this load.
        case notLoaded(SlotReference)
        /// The kernel refused the update.
        case update(SyscallError)

        public var description: String {
            switch self {
            case let .notLoaded(reference): "\(reference) was not loaded"
            case let .update(error): "\(error)"
            }
        }
    }
}
