/// The little hand-written JSON the admin server needs where key order matters (audit lines) or a
/// response is assembled around an already-encoded result: string escaping per RFC 8259 §7.
enum JSONText {
    /// `text` as a JSON string literal, quotes included.
    static func string(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let control where control.value < 0x20:
                let digits = Array("0123456789abcdef")
                out += "\\u00"
                out.append(digits[Int(control.value >> 4)])
                out.append(digits[Int(control.value & 0x0f)])
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }

    /// A JSON object of strings, keys sorted so the same arguments always give the same bytes.
    static func object(_ fields: [String: String]) -> String {
        let members = fields.keys.sorted().map { "\(string($0)):\(string(fields[$0] ?? ""))" }
        return "{" + members.joined(separator: ",") + "}"
    }
}
