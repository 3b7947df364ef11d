/// JSON laid out as bpftool lays out its plain-text BTF dumps (its `json_writer` in pretty
/// mode): four-space indents, `[{` and `},{` between array elements, `"name": value`.
struct PrettyJSON {
    /// `value` in that layout.
    static func render(_ value: JSON) -> String {
        var writer = PrettyJSON()
        writer.write(value)
        return writer.text
    }

    private var text = ""
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

    private mutating func begin(_ bracket: Character) {
        beginItem()
        text.append(bracket)
        depth += 1
        separator = nil
    }

    private mutating func end(_ bracket: Character) {
        depth -= 1
        if separator != nil { newline() }
        text.append(bracket)
        separator = ","
    }

    private mutating func name(_ name: String) {
        beginItem()
        newline()
        separator = nil
        JSON.escape(name, into: &text)
        text += ": "
    }

    private mutating func scalar(_ literal: String) {
        beginItem()
        text += literal
    }

    private mutating func write(_ value: JSON) {
        switch value {
        case .null: scalar("null")
        case let .bool(b): scalar(b ? "true" : "false")
        case let .int(v): scalar(String(v))
        case let .uint(v): scalar(String(v))
        case let .string(s):
            beginItem()
            JSON.escape(s, into: &text)
        case let .array(items):
            begin("[")
            for item in items { write(item) }
            end("]")
        case let .object(fields):
            begin("{")
            for (key, item) in fields {
                name(key)
                write(item)
            }
            end("}")
        }
    }
}
