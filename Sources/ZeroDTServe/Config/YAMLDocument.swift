import Yams

/// Turns YAML text into a `ConfigNode` tree, or into diagnostics when the text is not YAML.
enum YAMLDocument {
    /// Aliases can make a small file expand into a huge tree ("billion laughs"); a real
    /// config has a few hundred nodes, so anything past this is refused.
    static let maximumNodeCount = 100_000

    static func parse(_ text: String, file: String) -> Result<ConfigNode?, Diagnostic> {
        let root: Node?
        do {
            // No rules: tags are never read (a scalar is kept as its text and whether it was
            // plain), and Yams's default rules are seven regular expressions that ICU compiles
            // on first use, milliseconds of every generation's start, so of every restart.
            root = try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            return .failure(diagnostic(for: error, text: text, file: file))
        } catch {
            return .failure(.error("cannot parse YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1)))
        }
        guard let root else { return .success(nil) }
        var converter = Converter(file: file)
        do {
            return .success(try converter.convert(root))
        } catch let failure {
            return .failure(failure.diagnostic)
        }
    }

    private struct ConversionFailure: Error {
        var diagnostic: Diagnostic
    }

    private struct Converter {
        let file: String
        var nodeCount = 0

        init(file: String) { self.file = file }

        func location(_ mark: Mark?) -> SourceLocation {
            SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
        }

        mutating func convert(_ node: Node) throws(ConversionFailure) -> ConfigNode {
            nodeCount += 1
            if nodeCount > YAMLDocument.maximumNodeCount {
                throw ConversionFailure(diagnostic: .error(
                    "document expands to more than \(YAMLDocument.maximumNodeCount) nodes (aliases?)",
                    at: location(node.mark)))
            }
            switch node {
            case .scalar(let scalar):
                return ConfigNode(value: .scalar(scalar.string, plain: scalar.style == .plain || scalar.style == .any),
                                  location: location(scalar.mark))
            case .sequence(let sequence):
                var items: [ConfigNode] = []
                for item in sequence { items.append(try convert(item)) }
                return ConfigNode(value: .sequence(items), location: location(sequence.mark))
            case .mapping(let mapping):
                var entries: [ConfigNode.Entry] = []
                for (key, value) in mapping {
                    guard case .scalar(let keyScalar) = key else {
                        throw ConversionFailure(diagnostic: .error(
                            "mapping keys must be plain words, found a complex key", at: location(key.mark)))
                    }
                    entries.append(ConfigNode.Entry(key: keyScalar.string, keyLocation: location(keyScalar.mark),
                                                    value: try convert(value)))
                }
                return ConfigNode(value: .mapping(entries), location: location(mapping.mark))
            case .alias(let alias):
                throw ConversionFailure(diagnostic: .error("unresolved alias", at: location(alias.mark)))
            }
        }
    }

    private static func diagnostic(for error: YamlError, text: String, file: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            if let hint = hint(problem: problem, at: at(mark), context: context.map { ($0.text, at($0.mark)) },
                               text: text) {
                return hint
            }
            var notes: [Diagnostic.Note] = []
            if let context, context.mark.line != mark.line || context.mark.column != mark.column {
                notes.append(.init(context.text, at: at(context.mark)))
            }
            return .error("invalid YAML: \(problem)", at: at(mark), notes: notes)
        case .reader(let problem, let offset, _, _):
            return .error("invalid YAML text: \(problem)", at: location(ofOffset: offset, in: text, file: file))
        case .duplicatedKeysInMapping(let duplicates, let context):
            return duplicateKeyDiagnostic(keys: duplicates, first: context.mark, text: text, file: file)
        default:
            return .error("cannot parse YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
        }
    }

    /// Yams reports only the first occurrence of a duplicated key; point at the second one,
    /// the line the user most likely just added, by finding the next line that starts with
    /// the same key at the same column.
    private static func duplicateKeyDiagnostic(keys: [String], first: Mark, text: String, file: String) -> Diagnostic {
        let key = keys.first ?? "?"
        let firstLocation = SourceLocation(file: file, line: first.line, column: first.column)
        let lines = SourceText.lines(text)
        for index in first.line..<max(first.line, lines.count) {
            let line = lines[index].unicodeScalars
            let indent = line.prefix { $0 == " " || $0 == "-" }.count
            let rest = String(String.UnicodeScalarView(line.dropFirst(indent)))
            if indent + 1 == first.column && (rest.hasPrefix("\(key):") || rest.hasPrefix("\"\(key)\":")) {
                return .error("duplicate key '\(key)'", at: SourceLocation(file: file, line: index + 1, column: indent + 1),
                              notes: [.init("first declared here", at: firstLocation)])
            }
        }
        return .error("duplicate key '\(key)'", at: firstLocation)
    }

    private static func location(ofOffset offset: Int?, in text: String, file: String) -> SourceLocation {
        guard let offset else { return SourceLocation(file: file, line: 1, column: 1) }
        // Yams gives the offset in Characters; libyaml would have counted lines and
        // columns the `SourceText` way.
        let (line, column) = SourceText.position(ofCharacterOffset: offset, in: text)
        return SourceLocation(file: file, line: line, column: column)
    }
}
