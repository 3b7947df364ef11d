// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets over SwiftBPF's pure parsers. Kept apart from the main
// package because `--sanitize fuzzer` breaks ordinary executables.
// Build and run with Fuzz/run.sh TARGET SECONDS.
let package = Package(
    name: "SwiftBPFFuzz",
    dependencies: [.package(name: "SwiftBPF", path: "..")],
    targets: [
        // Declares libFuzzer's LLVMFuzzerMutate for the structure-aware custom mutators.
        .target(name: "CFuzzSupport"),
        .executableTarget(name: "FuzzELF", dependencies: [.product(name: "ParserHarness", package: "SwiftBPF"), "CFuzzSupport"]),
        .executableTarget(name: "FuzzBTF", dependencies: [.product(name: "ParserHarness", package: "SwiftBPF"), "CFuzzSupport"]),
        .executableTarget(name: "FuzzKconfig", dependencies: [.product(name: "ParserHarness", package: "SwiftBPF")]),
        .executableTarget(name: "FuzzObject", dependencies: [.product(name: "ParserHarness", package: "SwiftBPF"), "CFuzzSupport"]),
        .executableTarget(name: "FuzzBTFExt", dependencies: [.product(name: "ParserHarness", package: "SwiftBPF"), "CFuzzSupport"]),
        .executableTarget(name: "FuzzDedup", dependencies: [.product(name: "ParserHarness", package: "SwiftBPF"), "CFuzzSupport"]),
        .executableTarget(name: "FuzzLink", dependencies: [.product(name: "ParserHarness", package: "SwiftBPF"), "CFuzzSupport"]),
    ]
)
