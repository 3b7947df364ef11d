import BPFObject
import Glibc

/// Why a global variable could not be read or written.
public enum GlobalDataError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownVariable(String)
    /// The bytes or type given do not have the variable's size.
    case sizeMismatch(variable: String, size: Int, given: Int)
    /// `.rodata` is frozen once loaded; set it with `ObjectSpec.setInitialValue` before loading.
    case readOnly(String)
    case object(ObjectError)
    case system(SyscallError)

    public var description: String {
        switch self {
        case .unknownVariable(let name): "no global variable '\(name)' in a loaded data map"
        case .sizeMismatch(let name, let size, let given): "global variable '\(name)' is \(size) bytes, \(given) given"
        case .readOnly(let name): "global variable '\(name)' is in frozen read-only data; set it before loading"
        case .object(let error): error.description
        case .system(let error): error.description
        }
    }
}

/// The live memory of a loaded object's global data maps (`BPF_F_MMAPABLE` arrays), read and
/// written by variable name while programs run — the counterpart of a libbpf skeleton's
/// `skel->bss->x`. `.data` and `.bss` are mapped read-write, frozen `.rodata` read-only.
/// Values are in the host's byte order (the loader only loads objects of that order).
public struct GlobalData: ~Copyable {
    /// A map's mapping (a class: dictionaries cannot hold noncopyable values); it keeps the map alive.
    private final class Region: Sendable {
        let mapping: MappedRegion
        let length: Int
        init(_ mapping: consuming MappedRegion, length: Int) {
            self.length = length
            self.mapping = mapping
        }
        var base: UnsafeMutableRawPointer { mapping.base }
    }

    private let regions: [Int: Region]
    public let variables: [String: GlobalVariable]
    /// Each mapped section's name and whether it is read-only, by map index (two sections may share a name).
    private let sections: [Int: (name: String, readOnly: Bool)]

    /// Maps every global data map of `object`; the mappings keep their maps alive by themselves.
    public init(_ object: borrowing LoadedObject) throws(GlobalDataError) {
        let all: [GlobalVariable]
        do { all = try object.spec.globalVariables() } catch { throw .object(error) }
        var regions: [Int: Region] = [:]
        for mapIndex in Set(all.map(\.mapIndex)).sorted() {
            guard let map = object.maps[mapIndex] else { continue }
            let spec = object.spec.maps[mapIndex]
            do throws(SyscallError) {
                regions[mapIndex] = Region(
                    try MappedRegion(
                        map.descriptor, length: max(Int(spec.valueSize), 1),
                        writable: !spec.isReadOnlyData, "map '\(spec.name)'"),
                    length: Int(spec.valueSize))
            } catch {
                throw .system(error)  // the regions made so far are unmapped as they go
            }
        }
        self.regions = regions
        var sections: [Int: (name: String, readOnly: Bool)] = [:]
        for index in regions.keys {
            if case .data(let section, let readOnly) = object.spec.maps[index].origin {
                sections[index] = (section, readOnly)
            }
        }
        self.sections = sections
        variables = Dictionary(all.filter { regions[$0.mapIndex] != nil }.map { ($0.name, $0) }) { first, _ in first }
    }

    /// The current bytes of a variable.
    public func bytes(of name: String) throws(GlobalDataError) -> [UInt8] {
        let (variable, region) = try locate(name)
        return Array(UnsafeRawBufferPointer(start: region.base + variable.offset, count: variable.size))
    }

    /// Overwrites a variable (not `.rodata`) with `bytes` of its exact size.
    public func set(_ bytes: [UInt8], of name: String) throws(GlobalDataError) {
        let (variable, region) = try locate(name)
        guard !variable.isReadOnly else { throw .readOnly(name) }
        guard bytes.count == variable.size else {
            throw .sizeMismatch(variable: name, size: variable.size, given: bytes.count)
        }
        bytes.withUnsafeBytes {
            UnsafeMutableRawBufferPointer(start: region.base + variable.offset, count: variable.size).copyMemory(
                from: $0)
        }
    }

    /// A variable read as `T`, which must have the variable's size.
    public func value<T: BitwiseCopyable>(of name: String, as type: T.Type = T.self) throws(GlobalDataError) -> T {
        let (variable, region) = try locate(name)
        guard MemoryLayout<T>.size == variable.size else {
            throw .sizeMismatch(variable: name, size: variable.size, given: MemoryLayout<T>.size)
        }
        return (region.base + variable.offset).loadUnaligned(as: T.self)
    }

    /// Stores `value` into a variable (not `.rodata`) of the same size.
    public func set<T: BitwiseCopyable>(_ value: T, of name: String) throws(GlobalDataError) {
        try set(withUnsafeBytes(of: value) { Array($0) }, of: name)
    }

    /// The live mapping of the data section held by the object's map `index`, as a skeleton's
    /// views use it; it keeps the mapping (and its map) alive.
    public func section(map index: Int) -> GlobalSection? {
        guard let region = regions[index], let (name, readOnly) = sections[index] else { return nil }
        return GlobalSection(name: name, mapping: region.base, size: region.length, writable: !readOnly, owner: region)
    }

    private func locate(_ name: String) throws(GlobalDataError) -> (GlobalVariable, Region) {
        guard let variable = variables[name], let region = regions[variable.mapIndex] else {
            throw .unknownVariable(name)
        }
        return (variable, region)
    }
}
