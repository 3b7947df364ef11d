// swift-tools-version:6.1
import PackageDescription

// SwiftBPF: a pure-Swift eBPF toolkit. Zero package dependencies.
//
// Dependencies point one way:
//   swiftbpf → BPF → BPFObject → BTF → ELF64
//              BPF → CBPFSyscall
// ELF64, BTF and BPFObject never call the kernel: they are what fuzzers touch.
let package = Package(
    name: "SwiftBPF",
    products: [
        .library(name: "ELF64", targets: ["ELF64"]),
        .executable(name: "swiftbpf", targets: ["swiftbpf"]),
    ],
    targets: [
        .target(name: "ELF64"),
        .executableTarget(name: "swiftbpf", dependencies: ["ELF64"]),
        .testTarget(name: "ELF64Tests", dependencies: ["ELF64"]),
        .testTarget(name: "swiftbpfTests", dependencies: ["swiftbpf", "ELF64"]),
    ]
)
