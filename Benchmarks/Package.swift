// swift-tools-version:6.1
import PackageDescription

// Parse-throughput benchmarks for SwiftBPF, apart from the product so that
// the library keeps zero dependencies.
//   swift package benchmark                       package-benchmark suites (wall time, mallocs)
//   swift run -c release parse-bench btf FILE      one line per input, for any file
//   ./compare-libbpf.sh                            side by side with libbpf, as ratios
//   swift run -c release hostile-bench [CASE...]   crafted worst cases at N, 8N, 64N (time ratios)
let package = Package(
    name: "SwiftBPFBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "SwiftBPF", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "parse-bench",
            dependencies: [
                .product(name: "BTF", package: "SwiftBPF"), .product(name: "ELF64", package: "SwiftBPF"),
                .product(name: "BPFObject", package: "SwiftBPF"), .product(name: "BPF", package: "SwiftBPF"),
                .product(name: "Skeleton", package: "SwiftBPF"),
            ]
        ),
        // The worst case of each walk that was super-linear on crafted input, at N, 8N and 64N.
        .executableTarget(
            name: "hostile-bench",
            dependencies: [
                .product(name: "BTF", package: "SwiftBPF"), .product(name: "ELF64", package: "SwiftBPF"),
                .product(name: "BPFObject", package: "SwiftBPF"), .product(name: "ParserHarness", package: "SwiftBPF"),
            ]
        ),
        .executableTarget(
            name: "ParseBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "BPFObject", package: "SwiftBPF"),
                .product(name: "BTF", package: "SwiftBPF"),
                .product(name: "ELF64", package: "SwiftBPF"),
            ],
            path: "Benchmarks/ParseBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
