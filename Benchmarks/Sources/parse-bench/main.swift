import BPF
import BPFObject
import BTF
import ELF64
import Glibc
import Skeleton

// parse-bench OP INPUT...
//
// Times one parse operation per input and prints one line each:
//   op=<op> input=<path> bytes=<n> median_us=<x> runs=<n> user_us=<x> peak_rss_kb=<n> rss_growth_kb=<n>
// The median is over an in-process loop of at least one second after one
// warm-up call; bytes are read into memory first, so only parsing is timed.
// user_us is the user-space CPU time per run (getrusage over the loop: for
// `load`, the share that is not the kernel's); peak_rss_kb is the process's high-water mark; rss_growth_kb what it grew by
// from just before the first call (the parse's own footprint plus the input).
// A directory input sums over the files in it that the operation accepts.

let operations: [String: String] = [
    "elf": "open an ELF64 file and walk every section, symbol and relocation",
    "object": "open a BPF object to a full spec: programs, maps, relocations, BTF and BTF.ext",
    "load": "open, relocate and load a BPF object into the kernel (maps, programs through the verifier), then close it",
    "core": "CO-RE-relocate an object against /sys/kernel/btf/vmlinux (opened and indexed beforehand)",
    "btf": "open raw BTF (or an object's .BTF) to an id-indexed state",
    "btf-index": "build the name index of an opened BTF",
    "btf-lookup": "1,000 name+kind lookups once the name index exists",
    "btf-decode": "decode every type of an opened BTF",
    "btf-dump": "raw dump (bpftool's text) of every type, into memory",
    "dedup": "open raw BTF and deduplicate its types (btf__new + btf__dedup), to encodable types",
    "dedup-all":
        "all inputs' BTF (raw or an object's .BTF) opened and deduplicated together (btf__add_btf + btf__dedup)",
    "link": "link all inputs into one object (bpf_linker): read from disk, written to /dev/shm",
    "skeleton": "generate the Swift skeleton of an opened object (gen skeleton), into memory",
]

func usage() -> Never {
    print("usage: parse-bench OP INPUT...\noperations:")
    for (op, what) in operations.sorted(by: { $0.key < $1.key }) {
        print("  \(op)\(String(repeating: " ", count: max(1, 12 - op.count)))\(what)")
    }
    exit(2)
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) * 1e6 + Double(ts.tv_nsec) / 1e3
}

/// The resident set size now, from the second field of /proc/self/statm.
func currentRSSKB() -> Int {
    guard let statm = try? ByteStorage(contentsOfFile: "/proc/self/statm") else { return 0 }
    let fields = statm.text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024 : 0
}

func peakRSSKB() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss
}

/// How long each measurement loops: `BENCH_SECONDS` (default 1).
let minimumMicroseconds = (getenv("BENCH_SECONDS").flatMap { Double(String(cString: $0)) } ?? 1) * 1_000_000

/// User-space CPU time of this process so far, in µs.
func userMicroseconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) * 1e6 + Double(usage.ru_utime.tv_usec)
}

/// Runs `body` once to warm up, then for at least `BENCH_SECONDS` and 5 runs;
/// returns the median µs, the runs, and the user-space CPU µs per run.
func measure(_ body: () throws -> Void) rethrows -> (median: Double, runs: Int, user: Double) {
    try body()
    var samples: [Double] = []
    let start = now(), userStart = userMicroseconds()
    repeat {
        let t0 = now()
        try body()
        samples.append(now() - t0)
    } while now() - start < minimumMicroseconds || samples.count < 5
    let user = (userMicroseconds() - userStart) / Double(samples.count)
    samples.sort()
    return (samples[samples.count / 2], samples.count, user)
}

@inline(never) func keep<T>(_ value: T) { withExtendedLifetime(value) {} }

/// The BTF bytes of a file: an ELF object's .BTF section, or the file itself.
func btfBytes(_ storage: ByteStorage) -> UnsafeRawBufferPointer? {
    guard storage.bytes.starts(with: [0x7f, 0x45, 0x4c, 0x46]) else { return storage.bytes }
    return (try? ELFFile(storage))?.section(named: ".BTF")?.data
}

/// Prepares the timed closure for one input; nil when the input does not apply to the operation.
func job(_ op: String, _ storage: ByteStorage) throws -> (() throws -> Void)? {
    let bytes = storage.bytes
    switch op {
    case "elf":
        guard (try? ELFFile(unsafeBytes: bytes)) != nil else { return nil }
        return {
            let file = try ELFFile(unsafeBytes: bytes)
            var n = 0
            for s in file.sections { n &+= s.data.count }
            if let symbols = try file.symbolTable() { for s in symbols { n &+= s.name.count } }
            for s in file.relocationSections { for r in try file.relocations(in: s) { n &+= r.symbolIndex } }
            keep(n)
        }
    case "load":
        // End to end: spec, maps, relocation, programs through the verifier, then everything closed.
        guard let file = try? ELFFile(unsafeBytes: bytes), let spec = try? ObjectSpec(elf: file, name: "bench"),
            (try? spec.load()) != nil
        else { return nil }
        return {
            let file = try ELFFile(unsafeBytes: bytes)
            _ = try ObjectSpec(elf: file, name: "bench").load()
        }
    case "skeleton":
        guard let file = try? ELFFile(unsafeBytes: bytes), let spec = try? ObjectSpec(elf: file, name: "bench"),
            let generator = try? SkeletonGenerator(spec: spec, name: "Bench", source: "bench.o"),
            (try? generator.generate()) != nil
        else { return nil }
        return { keep(try generator.generate().utf8.count) }
    case "object":
        guard let file = try? ELFFile(unsafeBytes: bytes), (try? ObjectSpec(elf: file, name: "bench")) != nil else {
            return nil
        }
        return { keep(try ObjectSpec(elf: try ELFFile(unsafeBytes: bytes), name: "bench")) }
    case "core":
        guard let file = try? ELFFile(unsafeBytes: bytes), let spec = try? ObjectSpec(elf: file, name: "bench"),
            let vmlinux = try? BTF(contentsOfFile: "/sys/kernel/btf/vmlinux")
        else { return nil }
        _ = vmlinux.nameIndex
        return {
            var copy = spec
            keep(try copy.relocateCORE(against: [vmlinux]))
        }
    case "btf":
        guard let data = btfBytes(storage), (try? BTF(unsafeBytes: data)) != nil else { return nil }
        return { keep(try BTF(unsafeBytes: data)) }
    case "dedup":
        guard let data = btfBytes(storage), let btf = try? BTF(unsafeBytes: data) else { return nil }
        return { keep(try BTF(unsafeBytes: data).deduplicated().encode().count) }
    case "btf-index", "btf-lookup", "btf-decode", "btf-dump":
        guard let data = btfBytes(storage), let btf = try? BTF(unsafeBytes: data) else { return nil }
        switch op {
        case "btf-index":
            return { keep(NameIndex(btf)) }
        case "btf-lookup":
            var queries: [(String, Kind)] = []
            var id = btf.firstID
            let step = max(1, btf.ownTypeCount / 1000)
            while id < btf.endID, queries.count < 1000 {
                let t = try btf.type(id)
                if !t.name.isEmpty { queries.append((String(t.name), t.kind)) }
                id += TypeID(step)
            }
            _ = btf.nameIndex
            return { for (name, kind) in queries { keep(btf.firstTypeID(named: name, kind: kind)) } }
        case "btf-decode":
            return {
                var id = btf.firstID, n = 0
                while id < btf.endID { n &+= try btf.type(id).vlen; id += 1 }
                keep(n)
            }
        default:
            return {
                var text = ""
                text.reserveCapacity(32 << 20)
                try btf.dumpRaw(to: &text)
                keep(text)
            }
        }
    default:
        usage()
    }
}

let args = CommandLine.arguments.dropFirst()
guard let op = args.first, operations[op] != nil, args.count >= 2 else { usage() }

/// The operations over all inputs at once: one line for the whole set.
if op == "dedup-all" || op == "link" {
    let paths = Array(args.dropFirst())
    // dedup-all keeps each file's BTF only, copied out and the file released, as libbpf-bench keeps
    // btf__raw_data copies: both sides hold the same bytes while they run.
    var bytes = 0
    var blobs: [UnsafeRawBufferPointer] = []
    for path in paths {
        let storage = try ByteStorage(contentsOfFile: path)
        bytes += storage.bytes.count
        guard op == "dedup-all" else { continue }
        withExtendedLifetime(storage) {  // `data` is a view of the storage's bytes
            guard let data = btfBytes(storage) else { return }
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: data.count, alignment: 8)
            copy.copyMemory(from: data)
            blobs.append(UnsafeRawBufferPointer(copy))
        }
    }
    let output = "/dev/shm/parse-bench-link-\(getpid()).o"
    let run: () throws -> Void
    if op == "dedup-all" {
        run = { keep(try BTF.deduplicating(try blobs.map { try BTF(unsafeBytes: $0) }).encode().count) }
    } else {
        run = {
            let inputs = try paths.map { BPFLinker.Input(name: $0, file: try ELFFile(ByteStorage(contentsOfFile: $0))) }
            let linked = try BPFLinker.link(inputs)
            let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            _ = linked.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
    }
    let rssBefore = currentRSSKB()
    let (median, runs, user) = try measure(run)
    unlink(output)
    print(
        "op=\(op) input=\(paths[0])+\(paths.count - 1) bytes=\(bytes) median_us=\(String(format: median)) runs=\(runs) user_us=\(String(format: user)) peak_rss_kb=\(peakRSSKB()) rss_growth_kb=\(peakRSSKB() - rssBefore)"
    )
    exit(0)
}

for input in args.dropFirst() {
    var paths = [input]
    var isDirectory = false
    if let dir = opendir(input) {
        isDirectory = true
        paths = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { paths.append(input + "/" + name) }
        }
        closedir(dir)
        paths.sort()
    }
    let storages = paths.compactMap { try? ByteStorage(contentsOfFile: $0) }
    let rssBefore = currentRSSKB()
    var jobs: [() throws -> Void] = []
    var bytes = 0
    for storage in storages {
        if let j = try job(op, storage) { jobs.append(j); bytes += storage.bytes.count }
    }
    guard !jobs.isEmpty else {
        print("op=\(op) input=\(input) skipped: no file the operation accepts")
        continue
    }
    // The jobs read the storages' bytes through raw pointers: keep the owners alive while they run.
    let (median, runs, user) = try withExtendedLifetime(storages) { try measure { for j in jobs { try j() } } }
    let files = isDirectory ? " files=\(jobs.count)" : ""
    print(
        "op=\(op) input=\(input) bytes=\(bytes) median_us=\(String(format: median)) runs=\(runs) user_us=\(String(format: user)) peak_rss_kb=\(peakRSSKB()) rss_growth_kb=\(peakRSSKB() - rssBefore)\(files)"
    )
}

func String(format value: Double) -> String {
    let scaled = Int((value * 10).rounded())
    return "\(scaled / 10).\(scaled % 10)"
}
