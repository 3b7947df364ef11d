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
            func fail(_ reason: MapProblem) -> ObjectError {
                .invalidMap(name: map.name, section: map.origin.description, reason: reason)
            }
            // A struct_ops map is created at the kernel's value size and filled by its own layout: nothing else goes in.
            guard map.structOps == nil || (map.contents.isEmpty && map.slots.isEmpty) else {
                throw fail(.structOpsContents)
            }
            if !map.contents.isEmpty {
                guard map.type == .array, map.keySize == 4, map.contents.count == Int(map.valueSize) else {
                    throw fail(
                        .contentsMismatch(
                            bytes: map.contents.count, type: map.type, keySize: map.keySize, valueSize: map.valueSize))
                }
            }
            if !map.slots.isEmpty {
                guard map.type == .programArray || map.type.holdsMaps else {
                    throw fail(.valuesOnMapType(map.type))
                }
                guard map.keySize == 4, map.valueSize == 4 else {
                    throw fail(.slotSizes(keySize: map.keySize, valueSize: map.valueSize))
                }
                for (key, reference) in map.slots {
                    switch reference {
                    case .program where map.type != .programArray, .map where map.type == .programArray:
                        throw fail(.slotKind(key: key, reference))
                    case let .program(name) where !loaded.contains(name):
                        throw fail(.slotProgramNotLoaded(key: key, program: name))
                    case let .map(name) where !created.contains(name):
                        throw fail(.slotMapNotCreated(key: key, map: name))
                    default: continue
                    }
                }
            }
            if index == kconfigMapIndex {
                let end = kconfigExterns.map { Int($0.offset) + Int($0.size) }.max() ?? 0
                guard map.type == .array, map.keySize == 4, end <= Int(map.valueSize),
                    Int(map.valueSize) <= Self.maximumKconfigSize
                else {
                    throw fail(
                        .kconfigMapSize(
                            needed: end, keySize: map.keySize, valueSize: map.valueSize, limit: Self.maximumKconfigSize)
                    )
                }
            }
        }
    }
}
