import BPF
import BTF

/// A JSON value with keys kept in insertion order, so output is stable.
enum JSON {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    /// Serializes with two-space indentation.
    func rendered(indent: Int = 0) -> String {
        var out = ""
        write(to: &out, indent: indent)
        return out
    }

    private func write(to out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent + 2)
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .uint(u): out += String(u)
        case let .string(s): JSON.escape(s, into: &out)
        case let .array(items):
            if items.isEmpty { out += "[]"; return }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                item.write(to: &out, indent: indent + 2)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case let .object(fields):
            if fields.isEmpty { out += "{}"; return }
            out += "{\n"
            for (i, (key, value)) in fields.enumerated() {
                out += pad
                JSON.escape(key, into: &out)
                out += ": "
                value.write(to: &out, indent: indent + 2)
                out += i + 1 < fields.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        }
    }

    /// `s` as a JSON string literal, appended to `out`.
    static func escape(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let h = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
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
