/// Swift identifiers for C names: camel case, valid whatever bytes the object holds, never a
/// keyword, unique within their scope.
struct SwiftNames {
    private var used: Set<String>
    /// The next suffix to try for each base name (linear work however many names collide).
    private var nextSuffix: [String: Int] = [:]

    /// A scope in which `reserved` names are taken already.
    init(reserved: Set<String> = []) { used = reserved }

    /// Type names the generated code refers to unqualified or that would shadow a module or a
    /// protocol requirement it relies on: no generated type may take them.
    static let reservedTypeNames: Set<String> = [
        "Spec", "Programs", "Maps", "Links", "Metadata", "Kconfig", "Frozen", "Raw", "Swift", "BPF", "BPFObject", "BTF",
        "ELF64",
        "Glibc",
        "Copyable", "Escapable", "Sendable", "BitwiseCopyable", "CLayout", "Never", "Void",
    ]

    /// `name` as a lower-camel member name (`count_getpid` → `countGetpid`), made unique.
    mutating func member(_ name: String) -> String { unique(Self.camel(name, upper: false)) }

    /// `name` as an upper-camel type name (`task_info` → `TaskInfo`), made unique.
    mutating func type(_ name: String) -> String { unique(Self.camel(name, upper: true)) }

    private mutating func unique(_ base: String) -> String {
        guard !used.insert(base).inserted else { return base }
        var n = nextSuffix[base, default: 2]
        while !used.insert("\(base)_\(n)").inserted { n += 1 }
        nextSuffix[base] = n + 1
        return "\(base)_\(n)"
    }

    static func camel(_ name: String, upper: Bool) -> String {
        // Bytes outside [A-Za-z0-9_] (hostile names) become word breaks.
        let words = name.utf8.split { !(isLetter($0) || isDigit($0)) }.filter { !$0.isEmpty }
        var out = ""
        for (i, word) in words.enumerated() {
            let text = String(decoding: word, as: UTF8.self)
            out += i == 0 && !upper ? lowerFirst(text) : upperFirst(text)
        }
        if out.isEmpty { out = upper ? "Unnamed" : "unnamed" }
        // Types and members never share a spelling: a digit-first type gets `T`, a member `_`.
        if let first = out.utf8.first, isDigit(first) { out = (upper ? "T" : "_") + out }
        return keywords.contains(out) ? out + "_" : out
    }

    private static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a }
    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    private static func upperFirst(_ s: String) -> String {
        // An all-capitals word (`OFF`) is capitalised as a word (`Off`).
        isCapitals(s) ? s.prefix(1) + s.dropFirst().lowercased() : s.prefix(1).uppercased() + s.dropFirst()
    }
    private static func isCapitals(_ s: Substring) -> Bool { s.allSatisfy { $0.isUppercase || $0.isNumber } }
    private static func isCapitals(_ s: String) -> Bool { isCapitals(Substring(s)) }
    private static func lowerFirst(_ s: String) -> String {
        // An all-capitals word (`HZ`, `CPU`) is lowered whole, as Swift spells acronyms.
        isCapitals(s) ? s.lowercased() : s.prefix(1).lowercased() + s.dropFirst()
    }

    /// Enumerator names without the words they all begin with, as Swift imports C enums
    /// (`MODE_OFF`, `MODE_SUM` → `off`, `sum`); a name the prefix would leave empty or starting
    /// with a digit keeps it.
    static func enumerators(_ names: [String]) -> [String] {
        let words = names.map { $0.split(separator: "_", omittingEmptySubsequences: true) }
        guard names.count > 1, var common = words.first?.count else { return names }
        for w in words.dropFirst() {
            common = min(common, zip(words[0], w).prefix { $0 == $1 }.count)
        }
        guard common > 0, words.allSatisfy({ $0.count > common && !($0[common].first?.isNumber ?? true) }) else {
            return names
        }
        return words.map { $0[common...].joined(separator: "_") }
    }

    /// `text` fit for a one-line comment: control characters (a newline would end the comment and
    /// let an object's names write code) and format characters (bidi overrides) become `?`.
    static func comment(_ text: some StringProtocol) -> String {
        String(
            String(text).unicodeScalars.map {
                // Control characters, and format ones (bidi overrides: text that reads otherwise than it runs).
                $0.value < 0x20 || (0x7f...0x9f).contains($0.value) || $0.properties.generalCategory == .format
                    ? "?" : Character($0)
            })
    }

    /// Keywords and names with a meaning in every scope (`Type`, `Self`…): a trailing `_` avoids them.
    static let keywords: Set<String> = [
        "associatedtype", "borrowing", "class", "consuming", "deinit", "enum", "extension", "fileprivate", "func",
        "import", "init", "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol",
        "public", "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue",
        "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw",
        "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "self", "Self", "super", "throws",
        "true", "try", "Type", "Protocol", "package", "some", "any", "macro", "_",
    ]
}
