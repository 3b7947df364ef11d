extension MapCommands {
    /// The keys of a map, walked lazily with `BPF_MAP_GET_NEXT_KEY` as the loop asks for them.
    ///
    /// Each element is a `Result`: the walk ends after the last key, or after the one
    /// failure it yields (`for key in … { try key.get() }` rethrows it).
    public static func keySequence(descriptor fd: Int32, keySize: Int) -> MapKeys {
        MapKeys(descriptor: fd, keySize: keySize)
    }
}

/// A map's keys, read from the kernel one `BPF_MAP_GET_NEXT_KEY` at a time.
public struct MapKeys: Sequence, Sendable {
    let descriptor: Int32
    let keySize: Int

    public struct Iterator: IteratorProtocol {
        let descriptor: Int32
        let keySize: Int
        var previous: [UInt8]?
        var finished = false

        public mutating func next() -> Result<[UInt8], SyscallError>? {
            guard !finished else { return nil }
            do {
                guard let key = try MapCommands.nextKey(descriptor: descriptor, after: previous, keySize: keySize) else {
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

    public func makeIterator() -> Iterator { Iterator(descriptor: descriptor, keySize: keySize) }
}
