// swift-tools-version:6.1
import PackageDescription

// Parse-throughput benchmarks for SwiftBPF, apart from the product so that
// the library keeps zero dependencies.
//   swift package benchmark                       package-benchmark suites (wall time, mallocs)
//   swift run -c release parse-bench btf FILE      one line per input, for any file
//   ./compare-libbpf.sh                            side by side with libbpf, as ratios
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
