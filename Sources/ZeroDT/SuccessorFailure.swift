/// Why a successor could not take over, as a value: a one-line `summary` for `status`,
/// systemd's `STATUS=` and the status module, and the full `detail` (for a bad config,
/// every rendered diagnostic) for the log and `reload`'s answer. It travels over the
/// control channel as it is, so nobody parses text to learn what happened.
public struct SuccessorFailure: Codable, Sendable, Equatable, CustomStringConvertible {
    /// One line: what went wrong and, where known, where (`site.yaml:12:7: unknown key …`).
    public var summary: String
    /// Everything worth showing a person; the summary when there is no more.
    public var detail: String

    /// A failure with a one-line `summary` and a longer `detail` (the summary by default).
    public init(summary: String, detail: String? = nil) {
        // Rendered diagnostics end in a newline; a log line or a reply must not.
        self.summary = Self.trimmed(summary)
        self.detail = Self.trimmed(detail ?? summary)
    }

    private static func trimmed(_ text: String) -> String {
        String(text.reversed().drop { $0.isNewline || $0 == " " }.reversed())
    }

    /// The detail, which starts with or contains everything the summary says.
    public var description: String { detail }
}
