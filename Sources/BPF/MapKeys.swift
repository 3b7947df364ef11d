/// A map's keys, read from the kernel one `BPF_MAP_GET_NEXT_KEY` at a time as the loop asks.
///
/// Each element is a `Result`: the walk ends after the last key, or after the one failure it
/// yields (`for key in map.keys { try key.get() }` rethrows it).
public struct MapKeys: Sequence, Sendable {
    let map: Map

    public struct Iterator: IteratorProtocol {
        let map: Map
        var previous: [UInt8]?
        var finished = false

        public mutating func next() -> Result<[UInt8], SyscallError>? {
            guard !finished else { return nil }
            do throws(SyscallError) {
                guard
                    let key = try MapCommands.keyed(
                        .mapGetNextKey, "BPF_MAP_GET_NEXT_KEY", map.descriptor.rawValue,
                        key: previous, output: map.keySize)
                else {
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

    public func makeIterator() -> Iterator { Iterator(map: map) }
}
