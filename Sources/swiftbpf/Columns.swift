/// Builds a line field by field at fixed columns, as LLVM's `PadToColumn`
/// does: pad to the column, or write one space when the text already passed it.
struct ColumnLine {
    private(set) var text = ""
    private var column = 0

    mutating func put(_ field: String, at target: Int) {
        if column < target {
            text += String(repeating: " ", count: target - column)
            column = target
        } else if column > 0 {
            text += " "
            column += 1
        }
        text += field
        column += field.count
    }

    /// Appends text right where the line ends.
    mutating func append(_ field: String) {
        text += field
        column += field.count
    }
}
