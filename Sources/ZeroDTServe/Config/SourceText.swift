/// Line arithmetic that agrees with libyaml's marks, so that snippets and computed
/// positions land where Yams' do: `\r\n`, `\r`, `\n`, NEL, LS and PS each end a line, and
/// columns count Unicode scalars.
enum SourceText {
    static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}": return true
        default: return false
        }
    }

    /// The lines of `text`, without their line breaks; one more than the number of breaks.
    static func lines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars {
            defer { previous = scalar }
            if scalar == "\n" && previous == "\r" { continue }
            if isLineBreak(scalar) {
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        lines.append(String(current))
        return lines
    }

    /// The 1-based line and column of the character `offset` characters into `text`.
    static func position(ofCharacterOffset offset: Int, in text: String) -> (line: Int, column: Int) {
        let end = text.index(text.startIndex, offsetBy: max(offset, 0), limitedBy: text.endIndex) ?? text.endIndex
        var line = 1
        var column = 1
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars[..<end] {
            defer { previous = scalar }
            if scalar == "\n" && previous == "\r" { continue }
            if isLineBreak(scalar) {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}
