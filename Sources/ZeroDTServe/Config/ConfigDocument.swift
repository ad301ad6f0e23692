import Foundation
import ZeroDT

/// One config file, read, parsed and with its environment references expanded: the main
/// file or one that `include:` names. Decoding it is the `ConfigDecoder`'s job.
struct ConfigDocument {
    /// The path diagnostics name it by: as the user wrote it, or as `include:` led to it.
    var file: String
    /// The directory its relative paths resolve against.
    var baseDirectory: String
    /// Its text, for the renderer to quote.
    var text: String
    /// Its tree after expansion; nil for a file with no YAML document (empty or comments).
    var root: ConfigNode?
    /// What expansion found; nil when there is no tree.
    var expansion: EnvironmentExpansion?

    /// Parses and expands `text`; a failure is the one diagnostic that stopped the parse.
    static func parse(_ text: String, file: String, baseDirectory: String,
                      environment: [String: String]) -> Result<ConfigDocument, Diagnostic> {
        switch YAMLDocument.parse(text, file: file) {
        case .failure(let diagnostic):
            return .failure(diagnostic)
        case .success(let root):
            let expansion = root.map { EnvironmentExpansion($0, text: text, environment: environment) }
            return .success(ConfigDocument(file: file, baseDirectory: baseDirectory, text: text,
                                           root: expansion?.root, expansion: expansion))
        }
    }

    /// Why a file's text could not be had.
    enum ReadFailure: Error {
        case unreadable(RegularFile.Failure)
        case notUTF8
    }

    /// The text of the file at `path`, refused above `ConfigLoader.maximumFileSize`.
    static func readText(atPath path: String) -> Result<String, ReadFailure> {
        switch RegularFile.read(atPath: path, limit: ConfigLoader.maximumFileSize) {
        // A FIFO would block the read until someone writes to it, forever in `check`.
        case .failure(let failure): return .failure(.unreadable(failure))
        case .success(let bytes):
            guard let text = String(data: Data(bytes), encoding: .utf8) else { return .failure(.notUTF8) }
            return .success(text)
        }
    }
}

extension ConfigDocument.ReadFailure {
    /// "config is not valid UTF-8 text", with `what` naming the file's role.
    func message(what: String) -> String {
        switch self {
        case .unreadable(.tooLarge): return "\(what) is larger than \(ConfigLoader.maximumFileSize / 1024 / 1024) MiB"
        case .unreadable(let failure): return "cannot read \(what): \(failure.description)"
        case .notUTF8: return "\(what) is not valid UTF-8 text"
        }
    }
}
