import BPF

/// bpftool's plain-text rendering of BTF-formatted values (its `json_writer` in pretty
/// mode): four-space indents, `[{` and `},{` between array elements, `"name": value`.
struct PrettyJSON {
    private(set) var text = ""
    private var depth = 0
    private var separator: Character?

    private mutating func newline() {
        text += "\n" + String(repeating: "    ", count: depth)
    }

    /// Before a value or a container: the separator left by the previous one.
    private mutating func beginItem() {
        if let separator { text.append(separator) }
        separator = ","
    }

    mutating func begin(_ bracket: Character) {
        beginItem()
        text.append(bracket)
        depth += 1
        separator = nil
    }

    mutating func end(_ bracket: Character) {
        depth -= 1
        if separator != nil { newline() }
        text.append(bracket)
        separator = ","
    }

    mutating func name(_ name: String) {
        beginItem()
        newline()
        separator = nil
        text += Self.quoted(name) + ": "
    }

    mutating func scalar(_ literal: String) {
        beginItem()
        text += literal
    }

    mutating func value(_ value: FormattedValue) {
        switch value {
        case let .string(s), let .enumerator(s): scalar(Self.quoted(s))
        case let .signed(v): scalar(String(v))
        case let .unsigned(v): scalar(String(v))
        case let .bool(b): scalar(b ? "true" : "false")
        case let .array(items):
            begin("[")
            for item in items { self.value(item) }
            end("]")
        case let .structure(fields):
            begin("{")
            for field in fields {
                name(field.name)
                self.value(field.value)
            }
            end("}")
        }
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 { out += "\\u" + hex(scalar.value, digits: 4) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}

extension JSON {
    /// A BTF-formatted value as JSON.
    init(_ value: FormattedValue) {
        switch value {
        case let .string(s), let .enumerator(s): self = .string(s)
        case let .signed(v): self = .int(v)
        case let .unsigned(v): self = .uint(v)
        case let .bool(b): self = .bool(b)
        case let .array(items): self = .array(items.map(JSON.init))
        case let .structure(fields): self = .object(fields.map { ($0.name, JSON($0.value)) })
        }
    }
}
