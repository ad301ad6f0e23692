/// libyaml reports some common mistakes where it gave up rather than where they are: a key
/// without its `:` on the next line, an over-indented line at its `:`. These point at the
/// mistake, in words, and keep libyaml's own message as a note.
extension YAMLDocument {
    /// A better diagnostic for a libyaml `problem` at `mark`, or nil to keep libyaml's.
    /// - Parameter context: libyaml's "while scanning …" and where that started.
    static func hint(problem: String, at mark: SourceLocation, context: (text: String, at: SourceLocation)?,
                     text: String) -> Diagnostic? {
        let gaveUp = Diagnostic.Note("the YAML parser gave up here: \(problem)", at: mark)
        if problem == "could not find expected ':'", let context, context.text == "while scanning a simple key",
           context.at.line < mark.line {
            return .error("invalid YAML: this line has no ':' after its key", at: context.at, notes: [gaveUp])
        }
        let lines = SourceText.lines(text)
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let line = Array(lines[mark.line - 1].unicodeScalars)
        // `{` and `}` end a plain value inside `[ ]` and `{ }`, so `${PORT}` there must be quoted.
        if problem.hasPrefix("did not find expected ',' or"),
           String(String.UnicodeScalarView(line.prefix(mark.column))).contains("${") {
            return .error("invalid YAML: \(problem)", at: mark, notes: [
                .init("inside [ ] or { }, a value with ${…} must be quoted, as in \"${PORT}\""),
            ] + (context.map { [.init($0.text, at: $0.at)] } ?? []))
        }
        guard problem.hasPrefix("mapping values are not allowed") else { return nil }
        let start = keyColumn(of: line)
        let colon = line.indices.first { line[$0] == ":" && (($0 + 1) == line.count || line[$0 + 1] == " ") }
        guard colon.map({ $0 + 1 }) == mark.column else {
            // An earlier ": " on the line: the value itself contains one.
            return .error("invalid YAML: \(problem)", at: mark,
                          notes: [.init("a value that contains ': ' must be quoted")])
        }
        let above = lines[..<(mark.line - 1)].reversed().map { Array($0.unicodeScalars) }
            .first { !$0.allSatisfy { $0 == " " } && $0.first(where: { $0 != " " }) != "#" }
        guard let above, start > keyColumn(of: above) else { return nil }
        return .error("invalid YAML: this line is indented deeper than the key above it",
                      at: SourceLocation(file: mark.file, line: mark.line, column: start), notes: [gaveUp])
    }

    /// The 1-based column where a line's key starts, after its indentation and any `- `.
    private static func keyColumn(of line: [Unicode.Scalar]) -> Int {
        func isDash(_ index: Int) -> Bool { line[index] == "-" && index + 1 < line.count && line[index + 1] == " " }
        var index = 0
        while index < line.count, line[index] == " " || isDash(index) { index += 1 }
        return index + 1
    }
}
