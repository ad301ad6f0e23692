/// The `${NAME}` and `${NAME:-default}` syntax of config values, on one scalar's text.
///
/// `$$` is a literal `$`. Any other `$` (`$HOME`, `pa$word`, a trailing `$`) is kept as
/// written, so that values written before expansion existed mean what they meant. A default
/// is taken as written up to the first `}`: references do not nest.
enum EnvironmentReference {
    /// Something wrong with one reference; `offset` counts Unicode scalars from the start of
    /// the value to its `$`.
    struct Problem: Error, Sendable, Equatable {
        var offset = 0
        var message: String
        var note = EnvironmentReference.syntaxNote
    }

    /// A value with its references replaced.
    struct Expansion: Sendable, Equatable {
        /// The text, as far as it could be expanded.
        var text: String
        /// Every reference that could not be expanded; when there are any, `text` is not meant to be used.
        var problems: [Problem] = []
        /// The first `$NAME` written without braces: whoever wrote it probably expected it to
        /// be expanded, and it is not.
        var bareName: String?
    }

    static let syntaxNote = "write ${NAME} or ${NAME:-default}, where NAME is letters, digits and '_'; "
        + "$$ is a literal $"

    /// Replaces the references in `text` with values from `environment`.
    static func expand(_ text: String, environment: [String: String]) -> Expansion {
        // Nearly every value has no `$`; those are returned untouched.
        guard text.unicodeScalars.contains("$") else { return Expansion(text: text) }
        let scalars = Array(text.unicodeScalars)
        var result = Expansion(text: "")
        var output = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let next = index + 1 < scalars.count ? scalars[index + 1] : nil
            guard scalars[index] == "$", next == "$" || next == "{" else {
                if scalars[index] == "$", result.bareName == nil, let next, isNameStart(next) {
                    result.bareName = string(scalars[(index + 1)...].prefix(while: isNameCharacter))
                }
                output.append(scalars[index])
                index += 1
                continue
            }
            if next == "$" {
                output.append("$")
                index += 2
                continue
            }
            guard let close = scalars[(index + 2)...].firstIndex(of: "}") else {
                let rest = shortened(string(scalars[index...]))
                result.problems.append(Problem(offset: index,
                                               message: "unterminated variable reference '\(rest)': no closing '}'"))
                break
            }
            switch resolve(string(scalars[(index + 2)..<close]), environment: environment) {
            case .success(let value): output.append(contentsOf: value.unicodeScalars)
            case .failure(var problem):
                problem.offset = index
                result.problems.append(problem)
            }
            index = close + 1
        }
        result.text = String(output)
        return result
    }

    /// The value of the reference whose text between `${` and `}` is `inner`.
    private static func resolve(_ inner: String, environment: [String: String]) -> Result<String, Problem> {
        let written = shortened("${\(inner)}")
        let name = string(inner.unicodeScalars.prefix(while: isNameCharacter))
        let operation = inner.unicodeScalars.dropFirst(name.unicodeScalars.count)
        var fallback: String?
        if !operation.isEmpty {
            guard operation.starts(with: ":-".unicodeScalars) else {
                return .failure(Problem(message: "invalid variable reference '\(written)'"))
            }
            let value = string(operation.dropFirst(2))
            guard !value.contains("${") else {
                return .failure(Problem(message: "invalid variable reference '\(written)'",
                                        note: "a default is taken as written and cannot contain '${'; "
                                            + "references do not nest"))
            }
            fallback = value
        }
        guard let first = name.unicodeScalars.first else {
            return .failure(Problem(message: inner.isEmpty ? "empty variable reference '${}'"
                                                           : "missing variable name in '\(written)'"))
        }
        guard isNameStart(first) else {
            return .failure(Problem(message: "invalid variable name '\(name)': a name must not start with a digit"))
        }
        // As in the shell, `:-` also stands in for a variable that is set but empty.
        if let value = environment[name], !(value.isEmpty && fallback != nil) { return .success(value) }
        if let fallback { return .success(fallback) }
        return .failure(Problem(message: "environment variable '\(name)' is not set",
                                note: "set it, or give a default as in ${\(name):-value}"))
    }

    private static func string(_ scalars: some Sequence<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    static func isNameStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        isNameStart(scalar) || ("0"..."9").contains(scalar)
    }

    /// Long text is cut in messages, which are one line.
    private static func shortened(_ text: String) -> String {
        let line = text.unicodeScalars.prefix { !SourceText.isLineBreak($0) }
        guard line.count > 40 || line.count < text.unicodeScalars.count else { return text }
        return string(line.prefix(40)) + "…"
    }
}
