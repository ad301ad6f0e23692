/// A problem found in a config file: a value, not a thrown error, so that the loader can
/// report every problem of a file in one run.
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    /// How bad the problem is.
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    /// A secondary remark attached to a diagnostic ("did you mean …?", "first declared here").
    public struct Note: Sendable, Hashable {
        /// The remark.
        public var message: String
        /// Where the remark points, when it points somewhere other than the diagnostic.
        public var location: SourceLocation?

        /// Creates a note.
        public init(_ message: String, at location: SourceLocation? = nil) {
            self.message = message
            self.location = location
        }
    }

    /// Error or warning.
    public var severity: Severity
    /// What is wrong, in one line.
    public var message: String
    /// Where it is wrong.
    public var location: SourceLocation
    /// Further remarks, rendered after the message.
    public var notes: [Note]
    /// Whether it may only follow from another diagnostic ("route needs one of …" beside an
    /// unknown key): such ones are listed after the others (`DiagnosticBag.sorted`).
    var isConsequence = false

    /// Creates an error diagnostic.
    public static func error(_ message: String, at location: SourceLocation, notes: [Note] = []) -> Diagnostic {
        Diagnostic(severity: .error, message: message, location: location, notes: notes)
    }

    /// Creates a warning diagnostic.
    public static func warning(_ message: String, at location: SourceLocation, notes: [Note] = []) -> Diagnostic {
        Diagnostic(severity: .warning, message: message, location: location, notes: notes)
    }

    /// `FILE:LINE:COL: error: MESSAGE`, without notes or snippet.
    public var description: String { "\(location): \(severity.rawValue): \(message)" }
}

/// Collects diagnostics while a config is being read.
///
/// Some errors may only follow from others ("route needs one of …" after an unknown key
/// `respnd`). Those are recorded as consequences and come after every other diagnostic:
/// the first one is what `reload`, `status` and systemd's `STATUS=` show, so it must be a
/// cause whenever there is one.
struct DiagnosticBag: Sendable {
    private(set) var diagnostics: [Diagnostic] = []

    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    mutating func error(_ message: String, at location: SourceLocation, notes: [Diagnostic.Note] = []) {
        diagnostics.append(.error(message, at: location, notes: notes))
    }

    /// An error that may only follow from the others found so far; it sorts after them.
    mutating func consequence(_ message: String, at location: SourceLocation, notes: [Diagnostic.Note] = []) {
        var diagnostic = Diagnostic.error(message, at: location, notes: notes)
        diagnostic.isConsequence = true
        diagnostics.append(diagnostic)
    }

    mutating func warning(_ message: String, at location: SourceLocation, notes: [Diagnostic.Note] = []) {
        diagnostics.append(.warning(message, at: location, notes: notes))
    }

    mutating func append(contentsOf other: [Diagnostic]) {
        diagnostics.append(contentsOf: other)
    }

    /// Every diagnostic once: causes in file order, then consequences in file order.
    var sorted: [Diagnostic] { sorted(fileOrder: []) }

    /// `sorted`, with the files in `fileOrder` first and in that order (the main config
    /// file, then those it includes), and any others by name after them.
    func sorted(fileOrder: [String]) -> [Diagnostic] {
        let rank = Dictionary(fileOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: min)
        var seen = Set<Diagnostic>()
        return diagnostics.filter { seen.insert($0).inserted }
            .enumerated()
            .sorted { a, b in
                if a.element.isConsequence != b.element.isConsequence { return !a.element.isConsequence }
                let (rankA, rankB) = (rank[a.element.location.file] ?? rank.count, rank[b.element.location.file] ?? rank.count)
                return (rankA, a.element.location, a.offset) < (rankB, b.element.location, b.offset)
            }
            .map(\.element)
    }
}
