import BPF
import BPFObject
import Glibc
import TestSupport
import Testing

extension KernelTests {
    @Suite("Feature probe", kernelTrait)
    struct FeatureProbeTests {
        @Test("agrees with bpftool feature probe on every program and map type both probe; leaks nothing")
        func matchesBpftool() throws {
            let report = try KernelObjects.exclusively {
                let before = KernelObjects.openCount()
                let report = Features.probe()
                #expect(KernelObjects.openCount() == before)
                return report
            }
            #expect(report.programTypes.first { $0.type == .socketFilter }?.result == .supported)
            #expect(report.mapTypes.first { $0.type == .ringBuffer }?.result == .supported)
            #expect(report.features.contains { $0.name == "BPF_PROG_BIND_MAP" && $0.supported })
            if let missing = Host.missing("bpftool", present: Host.find("bpftool") != nil) {
                Issue.record(Comment(rawValue: missing))
            }
            guard let bpftool = Host.find("bpftool") else { return }
            // Lines read "eBPF program_type xdp is available" or "… is NOT available".
            var theirs: [String: Bool] = [:]
            for line in try Host.capture(bpftool, ["feature", "probe", "kernel"]).out.split(separator: "\n") {
                let words = line.split(separator: " ")
                guard words.count >= 4, words[0] == "eBPF", words[1] == "program_type" || words[1] == "map_type" else {
                    continue
                }
                theirs["\(words[1]) \(words[2])"] = !line.contains("NOT available")
            }
            #expect(theirs.count > 50)
            var compared = 0
            let ours =
                report.programTypes.map { ("program_type \($0.type)", $0.result) }
                + report.mapTypes.map { ("map_type \($0.type)", $0.result) }
            for (key, result) in ours where result != .notProbed {
                guard let available = theirs[key] else { continue }  // a type newer than this bpftool
                #expect((result == .supported) == available, "\(key): ours \(result.rawValue), bpftool \(available)")
                compared += 1
            }
            #expect(compared > 45)
        }
    }
}

extension KernelTests {
    @Suite("BTF loading", kernelTrait)
    struct BTFLoadTests {
        /// A BTF blob of one `PTR` to type `target` (little-endian header, empty string table).
        static func pointerBlob(to target: UInt32) -> [UInt8] {
            // magic/version/flags, hdr_len, type_off/len, str_off/len
            var words: [UInt32] = [0x0001_eb9f, 24, 0, 12, 12, 1]
            words += [0, 2 << 24, target]  // PTR (anon) → target
            return words.withUnsafeBytes { Array($0) } + [0]
        }

        @Test("valid BTF loads without a log; refused BTF is retried for the kernel's log, which the error quotes")
        func logOnFailure() throws {
            _ = try BTFCommands.load(Self.pointerBlob(to: 0))
            #expect { _ = try BTFCommands.load(Self.pointerBlob(to: 99)) } throws: { error in
                guard let error = error as? SyscallError else { return false }
                return error.errno == EINVAL && error.operation.contains("type_id")
            }
        }
    }
}
