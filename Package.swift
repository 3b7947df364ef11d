// swift-tools-version:6.2
import PackageDescription

// SwiftBPF: a pure-Swift eBPF toolkit. Zero package dependencies.
//
// Dependencies point one way:
//   swiftbpf → BPF → BPFObject → BTF → ELF64
//              BPF → CBPFSyscall, Inflate (gzip for /proc/config.gz; pure, fuzzed by FuzzKconfig)
//   swiftbpf → Skeleton (gen skeleton; pure) → BPFObject
//   BPFAsync → BPF (async sequences; kept apart so that BPF alone never links the
//              Swift Concurrency runtime and libdispatch, 0.7 MB of a static binary)
// ELF64, BTF, BPFObject, Skeleton and Inflate never call the kernel: they are what fuzzers touch.
let package = Package(
    name: "SwiftBPF",
    products: [
        .library(name: "ELF64", targets: ["ELF64"]),
        .library(name: "BTF", targets: ["BTF"]),
        .library(name: "BPFObject", targets: ["BPFObject"]),
        .library(name: "BPF", targets: ["BPF"]),
        .library(name: "BPFAsync", targets: ["BPFAsync"]),
        .library(name: "Skeleton", targets: ["Skeleton"]),
        .library(name: "ParserHarness", targets: ["ParserHarness"]),
        .executable(name: "swiftbpf", targets: ["swiftbpf"]),
        .plugin(name: "BPFSkeletonPlugin", targets: ["BPFSkeletonPlugin"]),
    ],
    targets: [
        .target(name: "ELF64"),
        .target(name: "BTF", dependencies: ["ELF64"]),
        .target(name: "BPFObject", dependencies: ["BTF", "ELF64"]),
        .target(name: "Inflate"),
        // The C shim: bpf(), perf_event_open, ioctl (Swift cannot call variadic syscall()).
        .target(name: "CBPFSyscall"),
        .target(name: "BPF", dependencies: ["BPFObject", "BTF", "ELF64", "Inflate", "CBPFSyscall"]),
        .target(name: "BPFAsync", dependencies: ["BPF"]),
        // Writes typed Swift skeletons of objects (pure: the generated code uses BPF, this does not).
        .target(name: "Skeleton", dependencies: ["BPFObject", "BTF", "ELF64"]),
        // Drives every parser over arbitrary bytes: used by Fuzz/ and by the regression replay tests.
        .target(name: "ParserHarness", dependencies: ["ELF64", "BTF", "BPFObject", "Inflate", "Skeleton"]),
        .executableTarget(name: "swiftbpf", dependencies: ["ELF64", "BTF", "BPFObject", "BPF", "Skeleton"]),
        // Compiles each *.bpf.c of a target with clang and generates its skeleton with swiftbpf.
        .plugin(name: "BPFSkeletonPlugin", capability: .buildTool(), dependencies: ["swiftbpf"]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // The kernel's own C definitions of the bpf(2) structures, compiled: what KernelLayoutTests checks against.
        .target(name: "CKernelLayouts", path: "Tests/CKernelLayouts"),
        .testTarget(name: "ELF64Tests", dependencies: ["ELF64", "ParserHarness", "TestSupport"]),
        .testTarget(name: "BTFTests", dependencies: ["BTF", "ELF64", "ParserHarness", "TestSupport"]),
        .testTarget(name: "InflateTests", dependencies: ["Inflate", "TestSupport"]),
        .testTarget(name: "BPFObjectTests", dependencies: ["BPFObject", "BTF", "ELF64", "ParserHarness", "TestSupport"]),
        .testTarget(name: "BPFTests", dependencies: ["BPF", "BPFAsync", "BPFObject", "Skeleton", "BTF", "ELF64", "ParserHarness", "TestSupport", "swiftbpf",
                                                 "CKernelLayouts"]),
        .testTarget(name: "RegressionTests", dependencies: ["ParserHarness", "BTF", "ELF64", "TestSupport"]),
        .testTarget(name: "swiftbpfTests", dependencies: ["swiftbpf", "BPFObject", "ELF64", "ParserHarness", "TestSupport"]),
    ]
)
