// swift-tools-version:6.2
import Foundation
import PackageDescription

// A syscall counter written the way SwiftBPF's users write one: BPF C beside Swift in one target,
// the BPFSkeletonPlugin compiling it and generating its typed skeleton on `swift build`.
// SwiftBPF is the package two levels up; its identity is its directory's name, whatever the clone is called.
let swiftBPF = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
let identity = swiftBPF.lastPathComponent.lowercased()

let package = Package(
    name: "SyscallCounter",
    dependencies: [.package(path: swiftBPF.path)],
    targets: [
        .target(
            name: "SyscallCounterKit",
            dependencies: [.product(name: "BPF", package: identity), .product(name: "BPFObject", package: identity)],
            exclude: ["getpid_counter.bpf.c"],  // SwiftPM takes no C in a Swift target: the plugin finds it
            plugins: [.plugin(name: "BPFSkeletonPlugin", package: identity)]),
        .executableTarget(name: "syscall-counter", dependencies: ["SyscallCounterKit"]),
        .testTarget(name: "SyscallCounterTests", dependencies: ["SyscallCounterKit"]),
    ]
)
