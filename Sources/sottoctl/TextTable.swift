/// A table of text with aligned columns: titles in capitals, two spaces between columns, numbers right-aligned,
/// no trailing spaces. Widths count characters (every cell sottoctl prints is one column per character).
struct TextTable {
    /// Which side of its column a cell hugs.
    enum Alignment {
        case left
        case right
    }

    /// One column: its title and alignment.
    struct Column {
        var title: String
        var alignment: Alignment

        init(_ title: String, _ alignment: Alignment = .left) {
            self.title = title
            self.alignment = alignment
        }
    }

    var columns: [Column]
    var rows: [[String]] = []

    init(_ columns: [Column], rows: [[String]] = []) {
        self.columns = columns
        self.rows = rows
    }

    /// Each column's width: its widest cell or title.
    var widths: [Int] {
        columns.indices.map { index in
            rows.reduce(columns[index].title.count) { widest, row in
                index < row.count ? max(widest, row[index].count) : widest
            }
        }
    }

    /// The title line and then every row, each prefixed with `indent` spaces.
    func lines(indent: Int = 0) -> [String] {
        let widths = self.widths
        return [line(columns.map(\.title), widths: widths, indent: indent)]
            + rows.map { line($0, widths: widths, indent: indent) }
    }

    /// One line of `cells` laid out in `widths`.
    func line(_ cells: [String], widths: [Int], indent: Int = 0) -> String {
        var text = String(repeating: " ", count: indent)
        for (index, column) in columns.enumerated() {
            let cell = index < cells.count ? cells[index] : ""
            let padding = String(repeating: " ", count: max(0, widths[index] - cell.count))
            if index > 0 { text += "  " }
            switch column.alignment {
            case .left: text += cell + padding
            case .right: text += padding + cell
            }
        }
        while text.last == " " { text.removeLast() }
        return text
    }
}
