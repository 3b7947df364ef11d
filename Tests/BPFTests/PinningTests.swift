import BPF
import BPFObject
import Glibc
import TestSupport
import Testing

func loadPinned(root: String, adjust: (inout ObjectSpec) -> Void = { _ in }) throws(LoadError) -> LoadedObject {
    var spec: ObjectSpec
    do { spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/pinned.bpfel.o") } catch {
        throw .spec(error)
    }
    adjust(&spec)
    var options = LoadOptions()
    options.pinRoot = root
    return try spec.load(options)
}

func sharedCount(_ object: borrowing LoadedObject) throws -> UInt64 {
    let map = try object.map(named: "shared_counts").required("shared_counts")
    return try map.value([0, 0, 0, 0]).withUnsafeBytes { $0.load(as: UInt64.self) }
}

func bump(_ object: borrowing LoadedObject) throws {
    _ = try object.program(named: "bump").required("bump").testRun()
}

/// The reason of a `.pin` load error, or a test failure.
func pinFailure(_ load: () throws(LoadError) -> LoadedObject) -> LoadError.PinProblem? {
    do {
        _ = try load()
        Issue.record("the load succeeded")
        return nil
    } catch {
        guard case .pin(_, _, let reason) = error else { Issue.record("not a pin error: \(error)"); return nil }
        return reason
    }
}

extension KernelTests {
    @Suite("Maps pinned by name", kernelTrait, .serialized)
    struct PinningTests {
        @Test("the first load pins, later loads reuse the same kernel map, and pins outlive the objects")
        func pinAndReuse() throws {
            try KernelObjects.exclusively {
                try withPinRoot { root in
                    var firstID: UInt32 = 0
                    do {
                        let first = try loadPinned(root: root)
                        #expect(
                            first.pinnedMaps == [
                                "shared_counts": root + "/shared_counts", "shared_flags": root + "/shared_flags",
                            ])
                        #expect(entries(root) == ["shared_counts", "shared_flags"])
                        firstID = try MapInfo(of: try first.map(named: "shared_counts").required("map").descriptor).id
                        try bump(first)
                        let second = try loadPinned(root: root)
                        #expect(
                            try MapInfo(of: try second.map(named: "shared_counts").required("map").descriptor).id
                                == firstID)
                        try bump(second)
                        #expect(try sharedCount(first) == 2)
                    }
                    let third = try loadPinned(root: root)
                    #expect(try try third.map(named: "shared_counts").required("map").info().id == firstID)
                    #expect(try sharedCount(third) == 2)
                }
            }
        }

        @Test("a pinned map of another shape is an error naming the difference; a failed load removes the pins it made")
        func incompatible() throws {
            try KernelObjects.exclusively {
                try withPinRoot { root in
                    let before = KernelObjects.openCount()
                    // shared_flags is an array of 4 u32: pin an array of 8 in its place.
                    do {
                        let other = try Map.create(MapAttributes(type: .array, keySize: 4, valueSize: 4, maxEntries: 8))
                        try other.pin(at: root + "/shared_flags")
                    }
                    let reason = pinFailure { () throws(LoadError) in try loadPinned(root: root) }
                    #expect(reason == .differs([.init(field: .maxEntries, pinned: 8, object: 4)]))
                    #expect(reason?.description == "the pinned map differs: max entries 8 (object: 4)")
                    // shared_counts was created and pinned before shared_flags failed: its pin is gone again.
                    #expect(entries(root) == ["shared_flags"])
                    #expect(KernelObjects.openCount() == before)
                }
            }
        }

        @Test("a pinned map with another map_extra is not reused (libbpf compares it too)")
        func mapExtraCompared() throws {
            try KernelObjects.exclusively {
                try withPinRoot { root in
                    do {
                        let same = try Map.create(MapAttributes(type: .array, keySize: 4, valueSize: 4, maxEntries: 4))
                        try same.pin(at: root + "/shared_flags")
                    }
                    let reason = pinFailure { () throws(LoadError) in
                        try loadPinned(root: root) { spec in
                            if let i = spec.maps.firstIndex(where: { $0.name == "shared_flags" }) {
                                spec.maps[i].mapExtra = 3
                            }
                        }
                    }
                    #expect(reason == .differs([.init(field: .mapExtra, pinned: 0, object: 3)]))
                }
            }
        }

        @Test("names that would leave the pin root, and a pin root off bpffs, are refused before anything is made")
        func refusedPaths() throws {
            KernelObjects.exclusively {
                withPinRoot { root in
                    let before = KernelObjects.openCount()
                    for name in ["../escape", "a/b", "..", ".", "", "a\0b"] {
                        let reason = pinFailure { () throws(LoadError) in
                            try loadPinned(root: root) { spec in
                                if let i = spec.maps.firstIndex(where: { $0.name == "shared_counts" }) {
                                    spec.maps[i].name = name
                                }
                            }
                        }
                        #expect(reason == .nameNotOneComponent, "name '\(name)'")
                    }
                    #expect(entries(root).isEmpty)
                    #expect(entries("/sys/fs/bpf").contains("escape") == false)
                    let reason = pinFailure { () throws(LoadError) in try loadPinned(root: "/tmp") }
                    #expect(reason == .notBPFFS(root: "/tmp"))
                    #expect(KernelObjects.openCount() == before)
                }
            }
        }

        @Test(
            "a map reused from a pin keeps its slots: a later load neither overwrites nor deletes another object's entries"
        )
        func reusedMapSlotsUntouched() throws {
            try KernelObjects.exclusively {
                try withPinRoot { root in
                    func spec(slots: [UInt32: SlotReference]? = nil, pinned: Bool = true) throws -> ObjectSpec {
                        var spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/maps.bpfel.o")
                        let outer = try spec.maps.firstIndex { $0.name == "outer" }.required("outer")
                        spec.maps[outer].pinning = pinned ? 1 : 0  // LIBBPF_PIN_BY_NAME
                        if let slots { spec.maps[outer].slots = slots }
                        return spec
                    }
                    // The first load creates and pins `outer` with its two slots, and stays loaded.
                    let first = try spec().load(pinningUnder(root))
                    let before = try first.map(named: "outer").required("outer").value([0, 0, 0, 0])
                    // The second reuses the pin; its slots (one the kernel would refuse) are not written there.
                    let second = try spec(slots: [0: .map("inner_b"), 1: .map("hash")]).load(pinningUnder(root))
                    let outer = try second.map(named: "outer").required("outer")
                    #expect(try outer.value([0, 0, 0, 0]) == before, "the first object's slot 0 changed")
                    #expect(try outer.lookup([1, 0, 0, 0]) == nil)
                    // Where the load creates the map, a slot the kernel refuses fails the load.
                    #expect(throws: LoadError.self) { _ = try spec(slots: [1: .map("hash")], pinned: false).load() }
                }
            }
        }
    }
}
