/// Expands the environment references (`EnvironmentReference`) in every scalar value of one
/// parsed config file.
///
/// It works on the tree rather than the text, so that locations stay those of the file and a
/// value from the environment is only ever text: `a: b` or `[x]` in a variable cannot add
/// keys or items. Keys are not expanded. A plain scalar stays plain, so `${PORT}` can be a
/// number and `${ACCESS:-false}` a boolean, as if the value had been written there.
struct EnvironmentExpansion {
    /// The tree with every scalar expanded; a scalar with a bad reference is kept as written.
    private(set) var root: ConfigNode
    /// One error per bad reference, at its `$` when the column can be told.
    private(set) var diagnostics: [Diagnostic] = []
    /// Scalars with a bad reference: any other error about them would only follow from it.
    private var failed: Set<SourceLocation> = []
    /// A note for errors about a scalar: what it was expanded from, or that its `$NAME` was not.
    private var notes: [SourceLocation: Diagnostic.Note] = [:]
    private let environment: [String: String]
    private let text: String
    private var lines: [String]?

    /// Expands `root`, parsed from `text`, with values from `environment`.
    init(_ root: ConfigNode, text: String, environment: [String: String]) {
        self.root = root
        self.text = text
        self.environment = environment
        self.root = expand(root)
    }

    /// The decoder's `diagnostics` without those about a scalar with a bad reference, and
    /// with a note on those about an expanded value or a `$NAME`.
    func annotate(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.compactMap { diagnostic in
            guard !failed.contains(diagnostic.location) else { return nil }
            guard let note = notes[diagnostic.location] else { return diagnostic }
            var noted = diagnostic
            noted.notes.append(note)
            return noted
        }
    }

    private mutating func expand(_ node: ConfigNode) -> ConfigNode {
        switch node.value {
        case .scalar(let written, let plain):
            let expansion = EnvironmentReference.expand(written, environment: environment)
            if let name = expansion.bareName {
                notes[node.location] = .init("environment variables are expanded only when written as ${\(name)}")
            }
            guard expansion.problems.isEmpty else {
                failed.insert(node.location)
                for problem in expansion.problems {
                    diagnostics.append(.error(problem.message, at: location(of: problem.offset, in: node),
                                              notes: [.init(problem.note)]))
                }
                return node
            }
            guard expansion.text != written else { return node }
            notes[node.location] = .init("the value is expanded from '\(written)'")
            return ConfigNode(value: .scalar(expansion.text, plain: plain), location: node.location)
        case .mapping(let entries):
            return ConfigNode(value: .mapping(entries.map { entry in
                var expanded = entry
                expanded.value = expand(entry.value)
                return expanded
            }), location: node.location)
        case .sequence(let items):
            return ConfigNode(value: .sequence(items.map { expand($0) }), location: node.location)
        }
    }

    /// Where the `$` `offset` scalars into `node`'s value is in the file. That is exact when
    /// the value up to there is written as is on the scalar's first line (after a quote, if
    /// quoted); otherwise (an escape, a line break, a block scalar) it is the scalar's start.
    private mutating func location(of offset: Int, in node: ConfigNode) -> SourceLocation {
        guard case .scalar(let value, let plain) = node.value else { return node.location }
        if lines == nil { lines = SourceText.lines(text) }
        guard let lines, node.location.line >= 1, node.location.line <= lines.count else { return node.location }
        let line = Array(lines[node.location.line - 1].unicodeScalars)
        var start = node.location.column - 1
        if !plain, start < line.count, line[start] == "\"" || line[start] == "'" { start += 1 }
        let prefix = value.unicodeScalars.prefix(offset)
        guard start >= 0, start + offset < line.count, line[start + offset] == "$",
              line[start..<(start + offset)].elementsEqual(prefix)
        else { return node.location }
        return SourceLocation(file: node.location.file, line: node.location.line, column: start + offset + 1)
    }
}
