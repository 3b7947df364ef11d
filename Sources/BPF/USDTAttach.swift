import BPFObject
import Glibc
import ELF64
import Synchronization

/// Where one USDT probe site is probed: its file offset, its semaphore's (0: none), and where
/// its arguments are.
public struct USDTSite: Hashable, Sendable {
    public let note: SDTNote
    public let offset: UInt64
    public let semaphoreOffset: UInt64
    public let spec: USDTSpec

    /// Every site of probe `provider:name` in `file` (a probe inlined in several places has several),
    /// addresses turned into file offsets through the loadable segments as libbpf does.
    public static func sites(in file: ELFFile, provider: String, name: String) throws(AttachError) -> [USDTSite] {
        let notes: [SDTNote]
        let segments: SegmentIndex
        do {
            notes = try file.sdtNotes().filter { $0.provider == provider && $0.name == name }
            segments = try loadableSegments(of: file)
        } catch {
            throw .target(.usdtSite(provider: provider, name: name, address: 0, .segments("\(error)")))
        }
        return try notes.map { note throws(AttachError) in
            try site(of: note, segments: segments, machine: file.header.machine)
        }
    }

    /// The file a bare name (no `/`) means, as libbpf resolves it and then some: with a process,
    /// the file of that name it has mapped (`/proc/PID/maps`, through `/proc/PID/root` so that a
    /// container's library is found); else a shared library (`….so…`) in `LD_LIBRARY_PATH` and the
    /// usual library directories, an executable in `PATH`. A path, or a name found nowhere, is kept.
    public static func resolve(binary: String, pid: Int32 = -1) -> String {
        guard !binary.isEmpty, !binary.contains("/") else { return binary }
        if pid > 0, let maps = try? ByteStorage(contentsOfFile: "/proc/\(pid)/maps") {
            for line in maps.text.split(separator: "\n") {
                // address perms offset device inode path: the path is what follows the fifth field.
                let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
                guard fields.count == 6 else { continue }
                let path = fields[5].drop { $0 == " " }
                guard path.hasPrefix("/"), path.split(separator: "/").last.map(String.init) == binary else { continue }
                return "/proc/\(pid)/root" + path
            }
        }
        let environment = { (name: String) in getenv(name).map { String(cString: $0) } ?? "" }
        let directories =
            binary.utf8.split(separator: UInt8(ascii: ".")).contains { $0.elementsEqual("so".utf8) }
            ? environment("LD_LIBRARY_PATH").split(separator: ":").map(String.init)
                + [
                    "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                    "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                ]
            : environment("PATH").split(separator: ":").map(String.init)
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/" + binary
            if access(candidate, R_OK) == 0 { return candidate }
        }
        return binary
    }

    /// The `PT_LOAD` segments of `file`, where probe and semaphore addresses are looked up.
    public static func loadableSegments(of file: ELFFile) throws(ELFError) -> SegmentIndex {
        SegmentIndex(try file.segments().filter { $0.type == Segment.load })
    }

    /// Where `note`'s probe and semaphore are in the file, and its arguments for `machine`.
    public static func site(of note: SDTNote, segments: SegmentIndex, machine: Machine) throws(AttachError) -> USDTSite
    {
        let (provider, name) = (note.provider, note.name)
        guard let code = segments.segment(containing: note.address), code.isExecutable,
            let offset = code.fileOffset(of: note.address)
        else { throw .target(.usdtSite(provider: provider, name: name, address: note.address, .notInCode)) }
        var semaphoreOffset: UInt64 = 0
        if note.semaphore != 0 {
            guard let data = segments.segment(containing: note.semaphore), !data.isExecutable,
                let found = data.fileOffset(of: note.semaphore)
            else {
                throw .target(.usdtSite(provider: provider, name: name, address: note.semaphore, .semaphoreNotInData))
            }
            semaphoreOffset = found
        }
        let spec: USDTSpec
        do throws(USDTSpecProblem) { spec = try USDTSpec(parsing: note.arguments, machine: machine) } catch {
            throw .target(.usdtArguments(provider: provider, name: name, error))
        }
        return USDTSite(note: note, offset: offset, semaphoreOffset: semaphoreOffset, spec: spec)
    }
}

/// Loadable segments by address, as libbpf looks them up (sorted by start, the first that contains
/// an address wins): a binary search, so that many notes against many segments stay N log N.
public struct SegmentIndex: Sendable {
    private let sorted: [Segment]
    /// The farthest last address (inclusive, saturated) among segments `0...i`; nil while all are empty.
    private let reach: [UInt64?]

    public init(_ segments: [Segment]) {
        sorted = segments.sorted { $0.virtualAddress < $1.virtualAddress }
        var farthest: UInt64?
        reach = sorted.map { segment in
            if segment.memorySize > 0 {
                let (last, overflow) = segment.virtualAddress.addingReportingOverflow(segment.memorySize - 1)
                farthest = max(farthest ?? 0, overflow ? .max : last)
            }
            return farthest
        }
    }

    /// The first segment (by start) that contains `address`.
    public func segment(containing address: UInt64) -> Segment? {
        // Candidates start at or below the address; the first of them reaching past it is the answer.
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle].virtualAddress <= address { low = middle + 1 } else { high = middle }
        }
        let last = low  // candidates: 0..<last
        var first = 0, upper = last
        while first < upper {
            let middle = (first + upper) / 2
            if let farthest = reach[middle], farthest >= address { upper = middle } else { first = middle + 1 }
        }
        guard first < last, sorted[first].contains(address: address) else { return nil }
        return sorted[first]
    }
}

/// A USDT probe attached at each of its sites — one `uprobe.multi` link for all of them, or one
/// uprobe per site — each site carrying as its cookie the slot of `__bpf_usdt_specs` that tells
/// libbpf's `usdt.bpf.h` where the arguments are. Dropping it detaches every site and returns the slots.
public final class USDTLink: Sendable {
    /// The probe's sites (a probe compiled into several places has several).
    public let siteCount: Int
    /// The links: one `uprobe.multi` link, or one uprobe per site.
    public var linkCount: Int { links.count }
    private let links: [SiteLink]
    private let slots: [UInt32]
    private let allocator: USDTSpecSlots

    fileprivate init(links: [SiteLink], sites: Int, slots: [UInt32], allocator: USDTSpecSlots) {
        self.links = links
        self.slots = slots
        self.allocator = allocator
        siteCount = sites
    }

    deinit { allocator.release(slots) }

    /// Link `index` (of ``linkCount``), to pin or inspect.
    public func withLink<R>(at index: Int, _ body: (borrowing Link) throws -> R) rethrows -> R {
        try body(links[index].link)
    }
}

/// One uprobe link, boxed so that several can sit in an array.
private final class SiteLink: Sendable {
    let link: Link
    init(_ link: consuming Link) { self.link = link }
}

/// The free slots of one object's `__bpf_usdt_specs` map, shared by its USDT links (libbpf's
/// usdt_manager: freed slots are reused first).
final class USDTSpecSlots: Sendable {
    private let state = Mutex<(free: [UInt32], next: UInt32)>(([], 0))

    /// A slot below `limit`, or nil when all are taken.
    func allocate(limit: UInt32) -> UInt32? {
        state.withLock { state in
            if let slot = state.free.popLast() { return slot }
            guard state.next < limit else { return nil }
            defer { state.next += 1 }
            return state.next
        }
    }

    func release(_ slots: [UInt32]) {
        state.withLock { $0.free += slots }
    }
}

extension Attach {
    /// Attaches `program` (written with libbpf's `usdt.bpf.h`) of `object` to every site of USDT
    /// probe `provider:name` in the ELF file `binary` (an executable or shared library), in process
    /// `pid` or all (-1). Each distinct argument spec takes a slot of the object's
    /// `__bpf_usdt_specs` map, written before the uprobes; semaphores are counted up by the kernel
    /// while attached (`ref_ctr_offset`); `cookie` is what `bpf_usdt_cookie()` returns. If any site
    /// fails, the sites attached so far are detached and their slots returned.
    public static func usdt(
        _ program: Program, of object: borrowing LoadedObject, binary: String, provider: String, name: String,
        pid: Int32 = -1, cookie: UInt64 = 0
    ) throws(AttachError) -> USDTLink {
        guard let specs = object.map(named: "__bpf_usdt_specs"), let slots = object.usdtSlots else {
            throw .target(.noUSDTSpecsMap)
        }
        return try usdt(
            program: program.descriptor, throughUprobeMulti: program.expectedAttachType == .traceUprobeMulti,
            specs: specs, slots: slots, binary: binary, provider: provider, name: name, pid: pid,
            cookie: cookie)
    }

    /// Attaches a USDT program already in the kernel (loaded by another process, found by id or pin)
    /// whose specs map is `specs` (its `__bpf_usdt_specs`): through one `uprobe.multi` link when it
    /// was loaded for them, else one uprobe per site. The specs go in slots from 0 up (as a newly
    /// loaded object's do); programs sharing the map attached by another process may hold them.
    public static func usdt(
        program: borrowing FileDescriptor, throughUprobeMulti multi: Bool, specs: Map, binary: String,
        provider: String, name: String, pid: Int32 = -1, cookie: UInt64 = 0
    ) throws(AttachError) -> USDTLink {
        try usdt(
            program: program, throughUprobeMulti: multi, specs: specs, slots: USDTSpecSlots(), binary: binary,
            provider: provider, name: name, pid: pid, cookie: cookie)
    }

    private static func usdt(
        program: borrowing FileDescriptor, throughUprobeMulti multi: Bool, specs: Map, slots allocator: USDTSpecSlots,
        binary: String, provider: String, name: String, pid: Int32, cookie: UInt64
    ) throws(AttachError) -> USDTLink {
        guard specs.keySize == 4, specs.valueSize == USDTSpec.size else { throw .target(.noUSDTSpecsMap) }
        let binary = USDTSite.resolve(binary: binary, pid: pid)
        let file: ELFFile
        do { file = try ELFFile(try ByteStorage(contentsOfFile: binary)) } catch {
            throw .target(.binary(path: binary, error: "\(error)"))
        }
        let sites = try USDTSite.sites(in: file, provider: provider, name: name)
        guard !sites.isEmpty else { throw .target(.noUSDT(provider: provider, name: name, binary: binary)) }
        var slots: [UInt32] = []
        var slotOfSpec: [USDTSpec: UInt32] = [:]
        var siteSlots: [UInt32] = []
        var links: [SiteLink] = []
        do {
            for site in sites {
                let slot: UInt32
                if let known = slotOfSpec[site.spec] {
                    slot = known
                } else {
                    guard let fresh = allocator.allocate(limit: specs.maxEntries) else {
                        throw AttachError.target(.usdtSpecsFull(limit: specs.maxEntries))
                    }
                    slots.append(fresh)
                    slotOfSpec[site.spec] = fresh
                    slot = fresh
                    let key = withUnsafeBytes(of: fresh) { Array($0) }  // the map's key: an int, in host order
                    do {
                        try specs.update(key, site.spec.encoded(cookie: cookie, order: .host))
                    } catch {
                        throw AttachError.system(error)
                    }
                }
                siteSlots.append(slot)
                if !multi {
                    links.append(
                        SiteLink(
                            try uprobe(
                                program: program, binary: binary, offset: site.offset, pid: pid,
                                referenceCounterOffset: site.semaphoreOffset, cookie: UInt64(slot))))
                }
            }
            if multi {
                // One link for every site: the program was loaded for uprobe.multi.
                let semaphores = sites.map(\.semaphoreOffset)
                links.append(
                    SiteLink(
                        try uprobeMulti(
                            program: program, binary: binary, offsets: sites.map(\.offset),
                            cookies: siteSlots.map(UInt64.init),
                            referenceCounterOffsets: semaphores.allSatisfy { $0 == 0 } ? [] : semaphores, pid: pid)))
            }
        } catch let error as AttachError {
            links.removeAll()
            allocator.release(slots)
            throw error
        } catch {
            allocator.release(slots)
            throw .target(.binary(path: binary, error: "\(error)"))
        }
        return USDTLink(links: links, sites: sites.count, slots: slots, allocator: allocator)
    }
}

extension Attach {
    /// Attaches a USDT program of `object` by its section, `usdt/BINARY:PROVIDER:NAME`, as libbpf's
    /// auto-attach does (see ``usdt(_:of:binary:provider:name:pid:cookie:)``).
    public static func auto(
        _ program: Program, of object: borrowing LoadedObject, pid: Int32 = -1, cookie: UInt64 = 0
    ) throws(AttachError) -> USDTLink {
        guard let kind = object.spec.program(named: program.name)?.kind else {
            throw .target(.section("", .explicitTarget))
        }
        guard case let .usdt(binary, provider, name) = kind.autoAttach else {
            throw .target(.section(kind.pattern, .usdtProbe))
        }
        return try usdt(program, of: object, binary: binary, provider: provider, name: name, pid: pid, cookie: cookie)
    }
}
