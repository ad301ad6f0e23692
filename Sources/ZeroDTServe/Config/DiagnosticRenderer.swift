/// Renders diagnostics the way compilers do:
///
///     site.yaml:12:7: error: unknown key 'lisen' in 'server'
///        listen: 
///        ^
///     site.yaml:12:7: note: did you mean 'listen'?
public struct DiagnosticRenderer: Sendable {
    /// The text of each file, by path, for the quoted line and caret.
    public var sources: [String: String]

    /// Creates a renderer that quotes lines from `sources`.
    public init(sources: [String: String] = [:]) {
        self.sources = sources
    }

    /// All diagnostics, each followed by its snippet and notes, ending with a newline.
    public func render(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map(render).joined()
    }

    /// One diagnostic with its snippet and notes.
    public func render(_ diagnostic: Diagnostic) -> String {
        var out = "\(Self.prefix(diagnostic.location)): \(diagnostic.severity.rawValue): \(diagnostic.message)\n"
        out += snippet(at: diagnostic.location)
        for note in diagnostic.notes {
            let location = note.location ?? diagnostic.location
            out += "\(Self.prefix(location)): note: \(note.message)\n"
            if note.location != nil { out += snippet(at: location) }
        }
        return out
    }

    private static func prefix(_ location: SourceLocation) -> String {
        location.line > 0 ? location.description : location.file
    }

    private func snippet(at location: SourceLocation) -> String {
        guard location.line > 0, let text = sources[location.file] else { return "" }
        let lines = SourceText.lines(text)
        guard location.line <= lines.count else { return "" }
        let line = lines[location.line - 1].replacingOccurrences(of: "\t", with: " ")
        let caretColumn = min(max(location.column - 1, 0), line.unicodeScalars.count)
        return "\(line)\n\(String(repeating: " ", count: caretColumn))^\n"
    }
}
