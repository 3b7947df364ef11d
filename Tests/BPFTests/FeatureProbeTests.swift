import BPF
import BPFObject
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
            guard let bpftool = Host.find("bpftool") else { return }
            // Lines read "eBPF program_type xdp is available" or "… is NOT available".
            var theirs: [String: Bool] = [:]
            for line in try Host.capture(bpftool, ["feature", "probe", "kernel"]).out.split(separator: "\n") {
                let words = line.split(separator: " ")
                guard words.count >= 4, words[0] == "eBPF", words[1] == "program_type" || words[1] == "map_type" else { continue }
                theirs["\(words[1]) \(words[2])"] = !line.contains("NOT available")
            }
            #expect(theirs.count > 50)
            var compared = 0
            let ours = report.programTypes.map { ("program_type \($0.type)", $0.result) } + report.mapTypes.map { ("map_type \($0.type)", $0.result) }
            for (key, result) in ours where result != .notProbed {
                guard let available = theirs[key] else { continue }  // a type newer than this bpftool
                #expect((result == .supported) == available, "\(key): ours \(result.rawValue), bpftool \(available)")
                compared += 1
            }
            #expect(compared > 45)
        }
    }
}
