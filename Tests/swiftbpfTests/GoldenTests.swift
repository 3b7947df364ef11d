import Foundation
import TestSupport
import Testing

/// The CLI's own outputs, pinned: `--help` of every verb, inspect, disasm and btf dump on TestData.
/// After an intended change: `Scripts/update-cli-golden.sh`, then review the diff.
@Suite("swiftbpf golden outputs (TestData/golden/cli)")
struct GoldenTests {
    static let commands: [(name: String, arguments: [String])] = {
        let list = (try? String(contentsOfFile: TestPaths.testData + "/golden/cli/commands.txt", encoding: .utf8)) ?? ""
        return list.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let words = line.split(separator: " ").map(String.init)
            return (words[0], Array(words.dropFirst()))
        }
    }()

    @Test("the command list is there and names every verb's --help")
    func list() {
        let names = Set(Self.commands.map(\.name))
        #expect(
            names.isSuperset(of: [
                "help", "help-inspect", "help-disasm", "help-btf", "help-prog", "help-map", "help-link", "help-feature",
            ]))
    }

    @Test("output equals the committed golden file", arguments: commands.map(\.name))
    func golden(_ name: String) throws {
        let arguments = try #require(Self.commands.first { $0.name == name }).arguments
        let result = try Host.capture(Host.swiftbpf, arguments, in: TestPaths.root)
        #expect(result.status == 0, "\(result.err)")
        let golden = try String(contentsOfFile: TestPaths.testData + "/golden/cli/\(name).txt", encoding: .utf8)
        let firstDifference = zip(
            result.out.split(separator: "\n", omittingEmptySubsequences: false),
            golden.split(separator: "\n", omittingEmptySubsequences: false)
        )
        .enumerated().first { $0.element.0 != $0.element.1 }
        #expect(
            result.out == golden,
            "swiftbpf \(arguments.joined(separator: " ")): first difference at line \(firstDifference.map { "\($0.offset + 1): '\($0.element.0)' vs golden '\($0.element.1)'" } ?? "end")"
        )
    }
}
