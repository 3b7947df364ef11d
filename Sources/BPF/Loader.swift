import BPFObject
import BTF
import ELF64
import Glibc

/// How `ObjectSpec.load(_:)` loads an object.
public struct LoadOptions: Sendable {
    /// Program type for programs whose section names none (cilium-style `SEC("static")`, old names).
    public var defaultProgramType: ProgramType?
    /// Where the running kernel's BTF is (attach targets of `tp_btf`, `fentry`, `lsm`, `iter`; CO-RE).
    public var kernelBTFPath = "/sys/kernel/btf/vmlinux"
    /// The kernel configuration `__kconfig` externs read; `nil` reads the running kernel's.
    public var kernelConfig: KernelConfig?
    /// A BTF file to relocate CO-RE against instead of the running kernel's (the btfhub use case).
    public var coreTargetBTFPath: String?
    /// The BTF kinds to assume the kernel accepts; `nil` probes the kernel. Kinds outside it
    /// are rewritten before the object's BTF is loaded.
    public var btfKinds: BTFKindSupport?
    /// Bind the `.rodata` and `.metadata` maps to every program with `BPF_PROG_BIND_MAP`, as libbpf
    /// binds `.rodata`, so that tools find program metadata even when the program never reads it
    /// (two binds per program at most). Skipped where the kernel lacks the command.
    public var bindReadOnlyData = true
    /// Where maps declared with `__uint(pinning, LIBBPF_PIN_BY_NAME)` are pinned, each at
    /// `pinRoot/<map name>`; a compatible map already pinned there is reused instead of created.
    public var pinRoot = "/sys/fs/bpf"
    /// Receives warnings that do not fail the load (BTF the kernel refused, a map retried without BTF…).
    public var diagnostics: @Sendable (String) -> Void = { _ in }
    /// Told after each map is created and each program loaded (objects with hundreds take a while).
    public var progress: @Sendable (LoadProgress) -> Void = { _ in }
    /// The BPF token the load uses (ignored by `ObjectSpec.load(_:token:)`): by default,
    /// libbpf's choice (`LIBBPF_BPF_TOKEN_PATH`, else `/sys/fs/bpf` when it delegates anything).
    public var token: TokenSource = .automatic
    /// Whether USDT programs (`SEC("usdt…")`) load for `uprobe.multi` links, one link for every
    /// site of a probe (libbpf 1.5's choice): `nil` where the kernel has them (probed once),
    /// `false` for one uprobe per site (as older kernels need).
    public var usdtThroughUprobeMulti: Bool?

    public init() {}
}

/// How far a load has come: `completed` of `total` maps or programs, the last one named.
public struct LoadProgress: Sendable {
    public enum Stage: Sendable { case maps, programs }
    public let stage: Stage
    public let completed: Int
    public let total: Int
    public let name: String
}

extension ObjectSpec {
    /// Creates the object's maps, fills and freezes its global data, links and loads every entry
    /// program, then fills program arrays and maps of maps. On failure everything made is closed.
    /// Commands take the token ``LoadOptions/token`` names, if any.
    public func load(_ options: LoadOptions = LoadOptions()) throws(LoadError) -> LoadedObject {
        let token: BPFToken?
        do { token = try BPFToken.forLoad(options.token) } catch { throw .token(error) }
        switch consume token {
        case .some(let token): return try load(options, token: token)
        case .none: return try load(options, LoadContext(token: nil, delegation: nil, features: .host))
        }
    }

    /// ``load(_:)`` with a BPF token: every map creation, BTF load, program load and feature probe
    /// goes through it, and a command it does not delegate fails with ``LoadError/notDelegated(_:for:)``.
    public func load(_ options: LoadOptions, token: borrowing BPFToken) throws(LoadError) -> LoadedObject {
        try load(
            options,
            LoadContext(token: token.descriptor.rawValue, delegation: token.delegation, features: token.features))
    }

    private func load(_ options: LoadOptions, _ context: LoadContext) throws(LoadError) -> LoadedObject {
        guard byteOrder == .host else { throw .foreignByteOrder }
        do { try checkMapsForLoad() } catch { throw .spec(error) }
        let kernel = KernelTargets(options)
        guard hasCORERelocations else {
            return try loadRelocated(options, context, kernel: kernel)
        }
        // CO-RE relocates a copy.
        var relocated = self
        let targets = try kernel.coreTargets()
        let outcomes: [COREOutcome]
        do { outcomes = try relocated.relocateCORE(against: targets) } catch { throw .spec(error) }
        for outcome in outcomes where outcome.value == nil { options.diagnostics("CO-RE: \(outcome)") }
        var object = try relocated.loadRelocated(options, context, kernel: kernel)
        object.coreOutcomes = outcomes
        return object
    }

    private func loadRelocated(
        _ options: LoadOptions, _ context: LoadContext, kernel: KernelTargets
    ) throws(LoadError) -> LoadedObject {
        var object = LoadedObject(spec: self)
        object.btf = loadBTF(options, context)
        let btf = object.btf?.rawValue ?? -1
        let structOps = try structOpsLayouts(kernel)
        let reusedMaps = try createMaps(
            &object, btf: btf, structOps: structOps, kernel: kernel, options, context)
        var ksyms: (values: [String: KsymValue], targets: [String])?
        // module BTF descriptors, needed only until the programs are loaded
        var moduleBTFs: [Int: SharedDescriptor] = [:]
        let loading = programIndicesToLoad
        let entryCount = loading.count
        reportUnusedStructOpsPrograms(loading: loading, options)
        let metadataMaps = maps.indices.filter { maps[$0].holdsProgramMetadata }
        let kconfigMap: Int?? = .some(kconfigMapIndex)
        object.reserveProgramCapacity(entryCount)
        var loadedCount = 0
        for index in loading {
            let name = programs[index].name
            defer {
                loadedCount += 1
                options.progress(
                    LoadProgress(stage: .programs, completed: loadedCount, total: entryCount, name: name))
            }
            var linked: LinkedProgram
            do { linked = try Linker.link(self, programAt: index, kconfigMap: kconfigMap) } catch { throw .spec(error) }
            guard let type = programs[index].kind?.programType ?? options.defaultProgramType else {
                throw .missingProgramType(program: name, section: programs[index].sectionName)
            }
            for load in linked.mapLoads {
                guard let map = object.mapDescriptor(at: load.map) else {
                    throw .mapNotCreated(map: maps[load.map].name, program: name)
                }
                linked.setMapDescriptor(map, for: load)
            }
            if !linked.externUses.isEmpty {
                if ksyms == nil { ksyms = try kernelKsyms(kernel) }
                do { try linked.apply(ksyms: ksyms?.values ?? [:]) } catch { throw .spec(error) }
            }
            let fdArray = try fdArray(&linked, targets: ksyms?.targets ?? [], opened: &moduleBTFs)
            var attributes = ProgramAttributes(type: type, instructions: linked.instructions, license: license)
            attributes.fdArray = fdArray
            attributes.token = context.token
            try describe(programAt: index, in: &attributes, kernel: kernel, structOps: structOps)
            if programs[index].kind?.flags.contains(.usdt) == true,
                options.usdtThroughUprobeMulti ?? context.features.uprobeMultiLinks
            {
                attributes.expectedAttachType = .traceUprobeMulti
            }
            if btf >= 0 {
                attributes.btf = btf
                // func_info names FUNC types: without them (sanitized away) neither it nor line_info can go.
                if (options.btfKinds ?? context.features.btfKinds).contains(.functions) {
                    attributes.functionInfo = linked.functionInfo
                    attributes.lineInfo = linked.lineInfo
                }
            }
            let fd: FileDescriptor
            do { fd = try ProgramCommands.load(attributes) } catch {
                if error.error.errno == EPERM,
                    let missing = context.delegation?.missing(
                        command: 5, programType: type, attachType: attributes.expectedAttachType)
                {
                    throw .notDelegated(missing, for: "program '\(name)'")
                }
                throw .program(error)
            }
            if options.bindReadOnlyData, context.features.programBindMap {
                bindMetadata(metadataMaps, program: fd.rawValue, object, options)
            }
            object.append(
                Program(
                    name: name, type: type, descriptor: fd, expectedAttachType: attributes.expectedAttachType))
        }
        try fillSlots(&object, reused: reusedMaps)
        fillStructOps(&object, structOps)
        object.pinsMadeByLoad = []  // the load succeeded: its pins stay
        return object
    }

    /// What `BPF_PROG_LOAD` takes from a program's section: name, kernel version, expected attach
    /// type, flags, and the kernel BTF id it attaches to (a function, tracepoint or ops struct).
    private func describe(
        programAt index: Int, in attributes: inout ProgramAttributes, kernel: KernelTargets,
        structOps: [Int: StructOpsLayout]
    ) throws(LoadError) {
        // (By index: the spec is read in place, not copied to be passed.)
        attributes.name = programs[index].name
        attributes.kernelVersion = kernelVersion
        guard let kind = programs[index].kind else { return }
        attributes.expectedAttachType = kind.expectedAttachType
        if kind.flags.contains(.sleepable) { attributes.flags |= ProgramCommands.sleepable }
        if kind.flags.contains(.xdpFragments) { attributes.flags |= ProgramCommands.xdpHasFragments }
        if kind.flags.contains(.attachBTF) {
            attributes.attachBTFID = try attachBTFID(kind, program: attributes.name, kernel: kernel)
        }
        if kind.programType == .structOps {
            (attributes.attachBTFID, attributes.expectedAttachType) = try structOpsAttachment(
                of: attributes.name, structOps)
        }
    }

    /// Binds the metadata maps to a program: `EEXIST` (the program uses the map already)
    /// is success; any other failure is a warning, never a load failure.
    private func bindMetadata(
        _ metadataMaps: [Int], program: Int32, _ object: borrowing LoadedObject, _ options: LoadOptions
    ) {
        for index in metadataMaps {
            guard let map = object.mapDescriptor(at: index) else { continue }
            do {
                try ProgramCommands.bindMap(program: program, map: map)
            } catch  where error.errno == EEXIST {
                continue
            } catch {
                options.diagnostics("binding map '\(maps[index].name)' to a program failed: \(error)")
            }
        }
    }

    /// Resolves `__ksym` externs against kernel BTF and, for typeless variables, /proc/kallsyms;
    /// also returns the targets' names (index 0 vmlinux, then modules) for `fd_array`.
    private func kernelKsyms(
        _ kernel: KernelTargets
    ) throws(LoadError) -> (values: [String: KsymValue], targets: [String]) {
        let targets = try kernel.kernelObjects()
        let kallsyms =
            ksymExterns.contains { $0.kind == .typelessVariable }
            ? (try? ByteStorage(contentsOfFile: "/proc/kallsyms")).map {
                KernelSymbols(text: $0.text)
            } : nil
        do { return (try ksymValues(targets: targets.map(\.btf), kallsyms: kallsyms), targets.map(\.name)) } catch {
            throw .spec(error)
        }
    }

    /// The `fd_array` of a program using module kfuncs or variables: slot 0 (vmlinux) unused,
    /// then each module's BTF descriptor, opened once per load into `opened`; the module
    /// variables' loads get their descriptor too.
    private func fdArray(
        _ linked: inout LinkedProgram, targets: [String], opened: inout [Int: SharedDescriptor]
    ) throws(LoadError) -> [Int32] {
        guard !linked.moduleBTFs.isEmpty else { return [] }
        var array: [Int32] = [0]
        for module in linked.moduleBTFs {
            if opened[module] == nil {
                // Module indices come from resolving against `targets`: always in range.
                let name = targets[module]
                let fd: FileDescriptor?
                do { fd = try KernelBTFObject.open(named: name) } catch {
                    throw .kernel(
                        step: "opening the BTF of module '\(name)' for program '\(linked.name)'", error: error)
                }
                guard let fd else {
                    throw .kernel(
                        step: "opening the BTF of module '\(name)' for program '\(linked.name)'",
                        error: SyscallError(operation: "no loaded module's BTF is named '\(name)'", errno: ENOENT))
                }
                opened[module] = SharedDescriptor(fd)
            }
            let fd = opened[module]?.rawValue ?? -1
            array.append(fd)
            linked.setModuleBTFDescriptor(fd, forModule: module)
        }
        return array
    }

    /// Loads the object's BTF (DATASECs fixed up); a refusal is a warning, as with libbpf: maps and programs then go without BTF.
    /// A token that does not delegate `btf_load` is one more such refusal (the warning names it).
    private func loadBTF(_ options: LoadOptions, _ context: LoadContext) -> SharedDescriptor? {
        do {
            guard let bytes = try btfBufferForKernel(supporting: options.btfKinds ?? context.features.btfKinds) else {
                return nil
            }
            defer { bytes.deallocate() }
            return SharedDescriptor(try BTFCommands.load(UnsafeRawBufferPointer(bytes), token: context.token))
        } catch let error as SyscallError where error.errno == EPERM && context.delegation?.missing(command: 18) != nil
        {
            options.diagnostics(
                "object BTF not loaded, continuing without it: the BPF token does not delegate btf_load")
            return nil
        } catch {
            options.diagnostics("object BTF not loaded, continuing without it: \(error)")
            return nil
        }
    }

    /// Whether maps of `type` may carry BTF key and value type ids: hash, array, their per-CPU
    /// forms, LRU hash and its per-CPU form (1, 2, 5, 6, 9, 10), cgroup storage and its per-CPU
    /// form (19, 21), socket, inode, task and cgroup local storage (24, 28, 29, 32): one bit each.
    private static func isBTFCapable(_ type: UInt32) -> Bool {
        let capable: UInt64 =
            1 << 1 | 1 << 2 | 1 << 5 | 1 << 6 | 1 << 9 | 1 << 10 | 1 << 19 | 1 << 21 | 1 << 24
            | 1 << 28 | 1 << 29 | 1 << 32
        return type < 64 && capable >> UInt64(type) & 1 == 1
    }

    /// Creates (or reuses from pins) every map to create; returns which were reused, by map index
    /// (empty when none was: most loads pin nothing).
    private func createMaps(
        _ object: inout LoadedObject, btf: Int32, structOps: [Int: StructOpsLayout], kernel: KernelTargets,
        _ options: LoadOptions, _ context: LoadContext
    ) throws(LoadError) -> [Bool] {
        var reused: [Bool] = []
        let kconfigMap = kconfigMapIndex  // found once, not per map
        for (index, spec) in maps.enumerated() {
            defer {
                options.progress(LoadProgress(stage: .maps, completed: index + 1, total: maps.count, name: spec.name))
            }
            guard spec.autoCreate else { continue }
            if let layout = structOps[index] {
                object.set(try createStructOpsMap(spec, layout, btf: btf, context), at: index)
                continue
            }
            let pinPath = try pinPath(spec, options)
            if let pinPath, let map = try reusePinnedMap(spec, at: pinPath) {
                object.set(map, at: index)
                if reused.isEmpty { reused = [Bool](filling: maps.count, with: false) }
                reused[index] = true
                object.pinnedMaps[spec.name] = pinPath
                continue
            }
            let map = try createMap(spec, btf: btf, options, context)
            var contents = spec.contents
            if index == kconfigMap {
                do {
                    contents = try kconfigValues(
                        kernel.kernelConfig(keeping: kconfigExterns.map(\.name), features: context.features))
                } catch {
                    throw .spec(error)
                }
            }
            if !contents.isEmpty {
                // A failure here drops `map`, which closes it.
                do {
                    try MapCommands.uncheckedUpdate(
                        descriptor: map.descriptor.rawValue, key: [0, 0, 0, 0], value: contents)  // checkMapsForLoad
                    if spec.isReadOnlyData { try map.freeze() }
                } catch {
                    throw .map(name: spec.name, error: error)
                }
            }
            if let pinPath {
                do { try map.pin(at: pinPath) } catch {
                    throw .pin(map: spec.name, path: pinPath, reason: .system(error))
                }
                object.pinnedMaps[spec.name] = pinPath
                object.pinsMadeByLoad.append(pinPath)
                object.createdPins.append(pinPath)
            }
            object.set(map, at: index)
        }
        return reused
    }

    private func createMap(
        _ spec: MapSpec, btf: Int32, _ options: LoadOptions, _ context: LoadContext
    ) throws(LoadError) -> Map {
        var attributes = MapAttributes(
            type: spec.type, keySize: spec.keySize, valueSize: spec.valueSize,
            maxEntries: spec.maxEntries, flags: spec.flags, name: spec.name)
        attributes.token = context.token
        attributes.numaNode = spec.numaNode
        attributes.mapExtra = spec.mapExtra
        if spec.type == .ringBuffer {
            // The kernel wants no key or value for ring buffers; objects often declare a value type anyway.
            attributes.keySize = 0
            attributes.valueSize = 0
        }
        if spec.type == .perfEventArray {
            if attributes.keySize == 0 { attributes.keySize = 4 }
            if attributes.valueSize == 0 { attributes.valueSize = 4 }
            if attributes.maxEntries == 0 {
                attributes.maxEntries = UInt32(max(1, sysconf(Int32(_SC_NPROCESSORS_CONF))))
            }
        }
        let withBTF = btf >= 0 && Self.isBTFCapable(spec.type.rawValue) && spec.valueTypeID != 0
        if withBTF {
            attributes.btfKeyTypeID = spec.keyTypeID
            attributes.btfValueTypeID = spec.valueTypeID
        }
        // The inner template is needed only during the outer map's creation.
        let inner = try spec.innerMap.map { (template) throws(LoadError) in
            try createMap(template.spec, btf: -1, options, context)
        }
        do {
            return Map(
                attributes,
                descriptor: try MapCommands.create(
                    attributes, btf: withBTF ? btf : nil, innerMap: inner?.descriptor.rawValue))
        } catch let error where withBTF && error.errno == EINVAL {
            options.diagnostics("map '\(spec.name)': the kernel refused its BTF (\(error)); retrying without BTF")
            attributes.btfKeyTypeID = 0
            attributes.btfValueTypeID = 0
            do {
                return Map(
                    attributes, descriptor: try MapCommands.create(attributes, innerMap: inner?.descriptor.rawValue))
            } catch {
                throw context.mapError(spec, error)
            }
        } catch {
            throw context.mapError(spec, error)
        }
    }

    /// The kernel BTF id a `tp_btf`, `fentry`/`fexit`/`fmod_ret`, `lsm` or `iter` program attaches to.
    private func attachBTFID(_ kind: ProgramKind, program: String, kernel: KernelTargets) throws(LoadError) -> UInt32 {
        guard let target = kind.attachTarget, let (name, kindWanted) = kind.attachBTFName else {
            throw .attachTarget(program: program, target: "", reason: .missing(section: kind.pattern))
        }
        guard let id = try kernel.vmlinux().firstTypeID(named: name, kind: kindWanted) else {
            throw .attachTarget(program: program, target: target, reason: .notInKernelBTF(name: name, kind: kindWanted))
        }
        return id
    }

    /// Puts programs into program arrays and maps into maps of maps, by name, in the maps this load
    /// created: a map reused from a pin keeps the entries it has (as libbpf leaves it), so a load
    /// never changes another live object's slots, and a failed one leaves nothing of its own there.
    /// Every slot is resolved before any is written (``ObjectSpec/checkMapsForLoad()`` refused names
    /// the load lacks).
    private func fillSlots(_ object: inout LoadedObject, reused: [Bool]) throws(LoadError) {
        guard maps.contains(where: { !$0.slots.isEmpty }) else { return }
        var writes: [(map: Int32, name: String, key: UInt32, value: Int32)] = []
        for index in maps.indices where !maps[index].slots.isEmpty && !(index < reused.count && reused[index]) {
            guard let map = object.mapDescriptor(at: index) else { continue }
            let spec = maps[index]
            for (key, reference) in spec.slotsByKey {
                let value: Int32?
                switch reference {
                case let .program(name): value = object.program(named: name)?.descriptor.rawValue
                case let .map(name): value = object.map(named: name)?.descriptor.rawValue
                }
                guard let fd = value else { throw .slot(map: spec.name, key: key, reason: .notLoaded(reference)) }
                writes.append((map, spec.name, key, fd))
            }
        }
        for write in writes {
            do {
                // checkMapsForLoad: 4-byte keys and values.
                try MapCommands.uncheckedUpdate(
                    descriptor: write.map, key: Self.bytes(of: write.key),
                    value: Self.bytes(of: UInt32(bitPattern: write.value)))
            } catch {
                throw .slot(map: write.name, key: write.key, reason: .update(error))
            }
        }
    }
}

extension ObjectSpec {
    /// A 32-bit value's bytes in host order.
    static func bytes(of value: UInt32) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }
}

/// What one load issues its commands with: a token's descriptor (borrowed for the load) and
/// delegation, and the features probed with the same rights.
struct LoadContext {
    let token: Int32?
    let delegation: TokenDelegation?
    let features: FeatureCache

    /// A map creation's failure: under a token, `EPERM` for want of a delegation names it.
    func mapError(_ spec: MapSpec, _ error: SyscallError) -> LoadError {
        if error.errno == EPERM, let missing = delegation?.missing(command: 0, mapType: spec.type) {
            return .notDelegated(missing, for: "map '\(spec.name)'")
        }
        return .map(name: spec.name, error: error)
    }
}
