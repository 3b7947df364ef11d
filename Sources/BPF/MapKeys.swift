extension MapCommands {
    /// The keys of a map, walked lazily with `BPF_MAP_GET_NEXT_KEY` as the loop asks for them.
    ///
    /// Each element is a `Result`: the walk ends after the last key, or after the one
    /// failure it yields (`for key in … { try key.get() }` rethrows it).
    /// The key size is checked against the map's once, before the first key.
    public static func keySequence(descriptor fd: Int32, keySize: Int) -> MapKeys {
        MapKeys(descriptor: fd, keySize: keySize, checked: false)
    }

    /// The keys of a map whose key size the caller has checked.
    static func uncheckedKeySequence(descriptor fd: Int32, keySize: Int) -> MapKeys {
        MapKeys(descriptor: fd, keySize: keySize, checked: true)
    }
}

/// A map's keys, read from the kernel one `BPF_MAP_GET_NEXT_KEY` at a time.
public struct MapKeys: Sequence, Sendable {
    let descriptor: Int32
    let keySize: Int
    let checked: Bool

    public struct Iterator: IteratorProtocol {
        let descriptor: Int32
        let keySize: Int
        var previous: [UInt8]?
        var finished = false
        var checked: Bool

        public mutating func next() -> Result<[UInt8], SyscallError>? {
            guard !finished else { return nil }
            do {
                if !checked {
                    try MapBufferSizes.check(descriptor, key: keySize, value: nil, "BPF_MAP_GET_NEXT_KEY")
                    checked = true
                }
                guard let key = try MapCommands.keyed(.mapGetNextKey, "BPF_MAP_GET_NEXT_KEY", descriptor, key: previous, output: keySize) else {
                    finished = true
                    return nil
                }
                previous = key
                return .success(key)
            } catch {
                finished = true
                return .failure(error)
            }
        }
    }

    public func makeIterator() -> Iterator { Iterator(descriptor: descriptor, keySize: keySize, checked: checked) }
}
