import Benchmark
import BPFObject
import BTF
import ELF64

// package-benchmark suites: wall time, throughput and mallocs of each parse.
// Run: cd Benchmarks && swift package benchmark [--filter REGEX]
// Inputs: /sys/kernel/btf/vmlinux (skipped where absent) and TestData objects.

let root: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(4)  // Benchmarks/Benchmarks/ParseBenchmarks/ParseBenchmarks.swift
    return parts.joined(separator: "/")
}()

let vmlinux = try? ByteStorage(contentsOfFile: "/sys/kernel/btf/vmlinux")
let objects = ["multi.bpfel.o", "multi.bpfeb.o", "minimal.bpfel.o"].compactMap { name in
    (try? ByteStorage(contentsOfFile: root + "/TestData/obj/" + name)).map { (name, $0) }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 3,
        maxDuration: .seconds(2),
        maxIterations: 10_000
    )

    for (name, storage) in objects {
        Benchmark("ELF64 open+walk \(name)") { benchmark in
            for _ in benchmark.scaledIterations {
                let file = try ELFFile(storage)
                var n = 0
                for s in file.sections { n &+= s.data.count }
                if let symbols = try file.symbolTable() { for s in symbols { n &+= s.name.count } }
                for s in file.relocationSections { for r in try file.relocations(in: s) { n &+= r.symbolIndex } }
                blackHole(n)
            }
        }
        Benchmark("BTF open \(name)") { benchmark in
            let elf = try ELFFile(storage)
            for _ in benchmark.scaledIterations { blackHole(try BTF(elf: elf)) }
        }
    }

    guard let vmlinux else { return }
    let bytes = vmlinux.bytes
    Benchmark("BTF open vmlinux", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try BTF(unsafeBytes: bytes)) }
    }
    Benchmark("BTF name index vmlinux") { benchmark in
        let btf = try BTF(unsafeBytes: bytes)
        for _ in benchmark.scaledIterations { blackHole(NameIndex(btf)) }
    }
    Benchmark("BTF 1,000 name+kind lookups vmlinux") { benchmark in
        let btf = try BTF(unsafeBytes: bytes)
        var queries: [(String, Kind)] = []
        var id = btf.firstID
        while id < btf.endID, queries.count < 1000 {
            let t = try btf.type(id)
            if !t.name.isEmpty { queries.append((String(t.name), t.kind)) }
            id += TypeID(max(1, btf.ownTypeCount / 1000))
        }
        _ = btf.nameIndex
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for (name, kind) in queries { blackHole(btf.firstTypeID(named: name, kind: kind)) }
        }
    }
    Benchmark("CO-RE relocation of core_many.bpfel.o (1,167 relocations) against vmlinux") { benchmark in
        let btf = try BTF(unsafeBytes: bytes)
        _ = btf.nameIndex
        let spec = try ObjectSpec(contentsOfFile: root + "/TestData/obj/core_many.bpfel.o")
        for _ in benchmark.scaledIterations {
            var copy = spec
            blackHole(try copy.relocateCORE(against: [btf]))
        }
    }
    Benchmark("Object spec of maps.bpfel.o") { benchmark in
        let storage = try ByteStorage(contentsOfFile: root + "/TestData/obj/maps.bpfel.o")
        for _ in benchmark.scaledIterations { blackHole(try ObjectSpec(elf: ELFFile(storage), name: "maps")) }
    }
    Benchmark("BTF decode every type vmlinux") { benchmark in
        let btf = try BTF(unsafeBytes: bytes)
        for _ in benchmark.scaledIterations {
            var id = btf.firstID, n = 0
            while id < btf.endID { n &+= try btf.type(id).vlen; id += 1 }
            blackHole(n)
        }
    }
}
