import BPF
/// A usage error: the command line itself is wrong (exit code 2).
struct UsageError: Error {
    let message: String
    let help: String
}

/// An operation that cannot be done as asked (exit code 1), said in one line.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
}

/// A command's arguments: positionals and `--flag` / `--option value` pairs.
struct Arguments {
    private(set) var positionals: [String] = []
    private var options: [String: String] = [:]
    private var flags: Set<String> = []

    /// Parses `words` given which names take a value and which are bare flags; unknown names are usage errors.
    init(
        _ words: ArraySlice<String>, valued: Set<String> = [], flags known: Set<String> = [], help: String
    ) throws(UsageError) {
        var rest = words[...]
        while let word = rest.popFirst() {
            if word == "--" { positionals += rest; break }
            guard word.hasPrefix("--"), word.count > 2 else { positionals.append(word); continue }
            var name = String(word.dropFirst(2))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if valued.contains(name) {
                guard let value = inline ?? rest.popFirst() else {
                    throw UsageError(message: "option --\(name) needs a value", help: help)
                }
                options[name] = value
            } else if known.contains(name), inline == nil {
                flags.insert(name)
            } else {
                throw UsageError(message: "unknown option '\(word)'", help: help)
            }
        }
    }

    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// The same options with other positionals.
    func with(positionals: [String]) -> Arguments {
        var copy = self
        copy.positionals = positionals
        return copy
    }
    func option(_ name: String) -> String? { options[name] }
}

extension Arguments {
    /// The kernel object a verb names as `VERB ID` or `VERB --pinned PATH`.
    func openObject(_ kind: KernelObjectKind, help: String) throws -> FileDescriptor {
        if let path = option("pinned") { return try KernelObjectIDs.open(pinned: path) }
        let verb = positionals.first ?? ""
        guard positionals.count == 2, let id = UInt32(positionals[1]) else {
            throw UsageError(message: "expected '\(verb) ID' or '\(verb) --pinned PATH'", help: help)
        }
        return try KernelObjectIDs.open(kind, id: id)
    }
}
