import BPFObject
import BTF
import ELF64
import Glibc
import ParserHarness

// hostile-bench [CASE...]
//
// Times the worst case of each walk that was super-linear on crafted input (issue 16), built by
// ParserHarness's generators at sizes N, 8N and 64N, and prints one line per size:
//   case=<name> n=<size> bytes=<input bytes> median_us=<x> ratio=<time / time at the previous size>
// Linear walks show ratios near 8, N log N a little above; a quadratic one would show 64.

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) * 1e6 + Double(ts.tv_nsec) / 1e3
}

/// The median µs of `body`, over at least 0.3 s and 5 runs after a warm-up.
func median(_ body: () -> Void) -> Double {
    body()
    var samples: [Double] = []
    let start = now()
    repeat {
        let t0 = now()
        body()
        samples.append(now() - t0)
    } while now() - start < 300_000 || samples.count < 5
    samples.sort()
    return samples[samples.count / 2]
}

/// `x` with one decimal.
func tenths(_ x: Double) -> String { String((x * 10).rounded() / 10) }

func openSpec(_ bytes: [UInt8]) -> ObjectSpec? {
    bytes.withUnsafeBytes { raw in
        (try? ELFFile(unsafeBytes: raw)).flatMap { try? ObjectSpec(elf: $0, name: "hostile") }
    }
}

/// (name, base size, input at a size, the walk timed).
let cases: [(String, Int, (Int) -> [UInt8], ([UInt8]) -> Void)] = [
    (
        "btf-name-index-colliding-names", 1_000, { HostileBTF.collidingNames(count: $0) },
        { bytes in
            bytes.withUnsafeBytes { raw in _ = try? BTF(unsafeBytes: raw).nameIndex }
        }
    ),
    (
        "btf-c-dump-anonymous-dag", 3, { HostileBTF.anonymousDAG(depth: $0).blob },
        { bytes in
            bytes.withUnsafeBytes { raw in
                var text = ""; _ = try? BTF(unsafeBytes: raw).dumpC(to: &text)
            }
        }
    ),
    (
        "btf-formatted-nested-unions", 2, { HostileBTF.anonymousDAG(depth: $0, width: 8, kind: .union).blob },
        { bytes in
            bytes.withUnsafeBytes { raw in
                guard let btf = try? BTF(unsafeBytes: raw) else { return }
                _ = try? btf.formattedValue([1, 2, 3, 4], type: btf.endID - 1)
            }
        }
    ),
    (
        "btf-builder-shared-long-name", 500, { HostileBTF.sharedLongName(members: $0, length: 4_096) },
        { bytes in
            bytes.withUnsafeBytes { raw in
                guard let btf = try? BTF(unsafeBytes: raw), let builder = try? BTFBuilder(decoding: btf) else { return }
                _ = builder.encode()
            }
        }
    ),
    (
        "object-open-link-many-calls", 100, { SyntheticObjects.manyCalls(count: $0, legacyMapSections: $0) },
        { bytes in
            guard let spec = openSpec(bytes) else { return }
            _ = try? Linker.link(spec, program: "entry")
        }
    ),
    (
        // Refused at the second function (each once decoded to the section's end: N²/2 instructions).
        "object-open-overlapping-functions", 500, { SyntheticObjects.manyCalls(count: $0, functions: .overlapping) },
        { bytes in _ = openSpec(bytes) }
    ),
    (
        "object-open-link-aliases", 300, { SyntheticObjects.manyCalls(count: $0, functions: .aliases) },
        { bytes in
            guard let spec = openSpec(bytes) else { return }
            _ = try? Linker.link(spec, program: "entry")
        }
    ),
    (
        "btf-c-dump-forwards-sharing-a-name", 500, { HostileBTF.forwardsSharingAName(count: $0) },
        { bytes in
            bytes.withUnsafeBytes { raw in
                var text = ""; _ = try? BTF(unsafeBytes: raw).dumpC(to: &text)
            }
        }
    ),
    (
        "btf-raw-dump-suffix-names", 250, { HostileBTF.suffixNames(members: $0, length: 4_000) },
        { bytes in
            bytes.withUnsafeBytes { raw in
                var text = ""; _ = try? BTF(unsafeBytes: raw).dumpRaw(to: &text)
            }
        }
    ),
    (
        "object-core-long-access-strings", 100,
        { SyntheticObjects.coreThroughSelfContainingStruct(steps: 1, records: $0, leadingZeros: 700) },
        { bytes in
            guard var spec = openSpec(bytes), let btf = spec.btf else { return }
            _ = try? spec.relocateCORE(against: [btf])
        }
    ),
    (
        "btf-dedup-probe-colliding-ints", 1_000, { HostileBTF.probeCollidingInts(count: $0) },
        { bytes in
            bytes.withUnsafeBytes { raw in _ = try? BTF(unsafeBytes: raw).deduplicated().encode() }
        }
    ),
    (
        "object-core-prototype-dag", 2, { SyntheticObjects.coreOverPrototypeDAG(depth: $0, width: 2) },
        { bytes in
            guard var spec = openSpec(bytes), let btf = spec.btf else { return }
            _ = try? spec.relocateCORE(against: [btf])
        }
    ),
]

let wanted = Set(CommandLine.arguments.dropFirst())
for (name, base, make, run) in cases where wanted.isEmpty || wanted.contains(name) {
    var previous: Double?
    for n in [base, 8 * base, 64 * base] {
        let input = make(n)
        let us = median { run(input) }
        let ratio = previous.map { tenths(us / $0) } ?? "-"
        print("case=\(name) n=\(n) bytes=\(input.count) median_us=\(tenths(us)) ratio=\(ratio)")
        previous = us
    }
}
