/// What the loader writes into a map from its spec — global data, `.kconfig` values, program
/// array and map-of-maps slots — checked against the map's sizes before any kernel object exists:
/// the kernel reads `key_size` and `value_size` bytes whatever buffer it is handed.
extension ObjectSpec {
    /// Throws for the first created map whose spec (as the caller may have adjusted it) asks the
    /// loader to write a key or value of another size than the map's, or a slot naming a program
    /// the load does not load or a map it does not create (found before any slot is written, so
    /// that a map reused from a pin never receives part of a failed load).
    public func checkMapsForLoad() throws(ObjectError) {
        var loaded: Set<String> = [], created: Set<String> = [], seenMaps: Set<String> = []
        if maps.contains(where: { !$0.slots.isEmpty }) {
            for index in programIndicesToLoad { loaded.insert(programs[index].name) }
            // The first map of a name is the one a slot names (as the loader's lookups by name).
            for map in maps where seenMaps.insert(map.name).inserted && map.autoCreate { created.insert(map.name) }
        }
        for (index, map) in maps.enumerated() where map.autoCreate {
            func fail(_ reason: String) -> ObjectError { .invalidMap(name: map.name, section: map.origin.description, reason: reason) }
            // A struct_ops map is created at the kernel's value size and filled by its own layout: nothing else goes in.
            guard map.structOps == nil || (map.contents.isEmpty && map.slots.isEmpty) else {
                throw fail("a struct_ops map takes no initial contents or slots")
            }
            if !map.contents.isEmpty {
                guard map.type == .array, map.keySize == 4, map.contents.count == Int(map.valueSize) else {
                    throw fail("\(map.contents.count) bytes of initial contents for a \(map.type) map of \(map.keySize)-byte keys and \(map.valueSize)-byte values (an array of 4-byte keys and values of the contents' size is needed)")
                }
            }
            if !map.slots.isEmpty {
                guard map.type == .programArray || map.type.holdsMaps else {
                    throw fail("initial 'values' slots on a \(map.type) map (only prog_array, array_of_maps and hash_of_maps take them)")
                }
                guard map.keySize == 4, map.valueSize == 4 else {
                    throw fail("slots need 4-byte keys and values; the map has \(map.keySize)-byte keys and \(map.valueSize)-byte values")
                }
                for (key, reference) in map.slots {
                    switch reference {
                    case .program where map.type != .programArray, .map where map.type == .programArray:
                        throw fail("slot \(key) holds \(reference): a prog_array holds programs, a map of maps holds maps")
                    case let .program(name) where !loaded.contains(name):
                        throw fail("slot \(key) names program '\(name)', which the load does not load (a subprogram, or not set to load)")
                    case let .map(name) where !created.contains(name):
                        throw fail("slot \(key) names map '\(name)', which the load does not create")
                    default: continue
                    }
                }
            }
            if index == kconfigMapIndex {
                let end = kconfigExterns.map { Int($0.offset) + Int($0.size) }.max() ?? 0
                guard map.type == .array, map.keySize == 4, end <= Int(map.valueSize), Int(map.valueSize) <= Self.maximumKconfigSize else {
                    throw fail("the __kconfig externs take \(end) bytes; the map holds \(map.valueSize)-byte values under \(map.keySize)-byte keys (at most \(Self.maximumKconfigSize))")
                }
            }
        }
    }
}
