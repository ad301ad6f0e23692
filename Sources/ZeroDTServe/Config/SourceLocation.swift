/// A position in a config file: 1-based line and column, as editors and compilers count them.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The path of the file, as the user named it.
    public var file: String
    /// The line, starting from 1.
    public var line: Int
    /// The column in Unicode scalars, starting from 1.
    public var column: Int

    /// Creates a location.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `FILE:LINE:COL`, the prefix compilers use.
    public var description: String { "\(file):\(line):\(column)" }

    /// File order: by file, then line, then column.
    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}
