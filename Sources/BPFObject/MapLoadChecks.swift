/// What the loader writes into a map from its spec — global data, `.kconfig` values, program
/// array and map-of-maps slots — checked against the map's sizes before any kernel object exists:
/// the kernel reads `key_size` and `value_size` bytes whatever buffer it is handed.
extension ObjectSpec {
    /// Throws for the first created map whose spec (as the caller may have adjusted it) asks the
    /// loader to write a key or value of another size than the map's, or a slot naming a program
    /// the load does not load or a map it does not create (found before any slot is written, so
    /// that a map reused from a pin never receives part of a failed load).
    public func checkMapsForLoad() throws(ObjectError) {
        // Names the slots use, then which of them a load provides: no table of every name.
        var slotNames = SlotNames()
        for index in maps.indices where maps[index].autoCreate && !maps[index].slots.isEmpty {
            slotNames.add(maps[index].slots.values)
        }
        if !slotNames.isEmpty {
            for index in programIndicesToLoad { slotNames.provide(.program(programs[index].name)) }
            // The first map of a name is the one a slot names (as the loader's lookups by name).
            for index in maps.indices { slotNames.provide(.map(maps[index].name), if: maps[index].autoCreate) }
        }
        let kconfigMap = kconfigMapIndex  // found once: a search per map would make the check quadratic
        for index in maps.indices where maps[index].autoCreate {
            try checkForLoad(mapAt: index, slotNames, isKconfig: index == kconfigMap)
        }
    }

    private func checkForLoad(mapAt index: Int, _ slotNames: SlotNames, isKconfig: Bool) throws(ObjectError) {
        // Most maps receive nothing from the loader: nothing to check, and no copy of their spec.
        guard !maps[index].contents.isEmpty || !maps[index].slots.isEmpty || isKconfig else { return }
        let map = maps[index]
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
            for (key, reference) in map.slotsByKey {  // the first bad slot, in key order
                switch reference {
                case .program where map.type != .programArray, .map where map.type == .programArray:
                    throw fail(.slotKind(key: key, reference))
                case let .program(name) where !slotNames.isProvided(reference):
                    throw fail(.slotProgramNotLoaded(key: key, program: name))
                case let .map(name) where !slotNames.isProvided(reference):
                    throw fail(.slotMapNotCreated(key: key, map: name))
                default: continue
                }
            }
        }
        if isKconfig {
            let end = kconfigExterns.map { Int($0.offset) + Int($0.size) }.max() ?? 0
            guard map.type == .array, map.keySize == 4, end <= Int(map.valueSize),
                Int(map.valueSize) <= Self.maximumKconfigSize
            else {
                throw fail(
                    .kconfigMapSize(
                        needed: end, keySize: map.keySize, valueSize: map.valueSize, limit: Self.maximumKconfigSize))
            }
        }
    }
}

/// The programs and maps that slots name, and whether a load provides each: a table of the
/// slots' names only (most objects have none, and then nothing is hashed).
private struct SlotNames {
    private enum State { case unseen, provided, notProvided }
    private var states = SmallTable<SlotReference, State>()

    var isEmpty: Bool { states.isEmpty }

    mutating func add(_ references: some Sequence<SlotReference>) {
        for reference in references { _ = states.insert(reference, .unseen) }
    }

    /// Records a program the load loads, or a map and whether it is created: of maps of one name,
    /// the first decides.
    mutating func provide(_ reference: SlotReference, if created: Bool = true) {
        states.update(reference) { $0 == .unseen ? (created ? .provided : .notProvided) : $0 }
    }

    func isProvided(_ reference: SlotReference) -> Bool { states[reference] == .provided }
}
