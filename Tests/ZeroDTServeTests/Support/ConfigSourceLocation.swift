// No `import Testing` here: it declares its own `SourceLocation`, which would make the
// name ambiguous, and `ZeroDTServe.SourceLocation` names the `ZeroDTServe` enum instead.
@testable import ZeroDTServe

typealias ConfigSourceLocation = SourceLocation

/// A position in the file the tests load, `site.yaml` unless told otherwise.
func at(_ line: Int, _ column: Int, file: String = "site.yaml") -> ConfigSourceLocation {
    ConfigSourceLocation(file: file, line: line, column: column)
}
