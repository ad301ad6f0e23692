import Foundation
import ZeroDT

/// Why a config could not be loaded: every problem found, causes first.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// The problems in file order, except that errors which may only follow from others
    /// ("route needs one of …" beside an unknown key) come after them: the first is a cause.
    public var diagnostics: [Diagnostic]
    /// The text of each file read, by path, so that renderers can quote the offending line.
    public var sources: [String: String]

    /// One `FILE:LINE:COL: error: MESSAGE` line per diagnostic.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Reads a config file and turns it into a validated `SiteConfig`, or into the complete
/// list of what is wrong with it. It never traps on bad input and binds nothing.
public struct ConfigLoader: Sendable {
    /// Larger files are refused rather than parsed; a real config is a few kilobytes.
    public static let maximumFileSize = 4 * 1024 * 1024

    /// The handler modules `handler:` routes may name.
    public var modules: ModuleRegistry

    /// Creates a loader that knows the given handler modules.
    public init(modules: ModuleRegistry = ModuleRegistry()) {
        self.modules = modules
    }

    /// Loads the file at `path`; relative paths inside it resolve against its directory.
    /// - Throws: `ConfigError` with every diagnostic when the file is unreadable or invalid.
    public func load(file path: String) throws(ConfigError) -> SiteConfig {
        let whole = SourceLocation(file: path, line: 0, column: 0)
        func fail(_ message: String) -> ConfigError {
            ConfigError(diagnostics: [.error(message, at: whole)], sources: [:])
        }
        let data: [UInt8]
        switch RegularFile.read(atPath: path, limit: Self.maximumFileSize) {
        case .success(let bytes): data = bytes
        case .failure(.tooLarge): throw fail("config is larger than \(Self.maximumFileSize / 1024 / 1024) MiB")
        // A FIFO would block the read until someone writes to it, forever in `check`.
        case .failure(let failure): throw fail("cannot read config: \(failure.description)")
        }
        guard let text = String(data: Data(data), encoding: .utf8) else {
            throw fail("config is not valid UTF-8 text")
        }
        let directory = (Self.absolute(path) as NSString).deletingLastPathComponent
        return try load(text: text, file: path, baseDirectory: directory)
    }

    /// Loads config text as if it were the file `file` in `baseDirectory`.
    /// - Throws: `ConfigError` with every diagnostic when the text is invalid.
    public func load(text: String, file: String, baseDirectory: String) throws(ConfigError) -> SiteConfig {
        let sources = [file: text]
        let root: ConfigNode?
        switch YAMLDocument.parse(text, file: file) {
        case .success(let node): root = node
        case .failure(let diagnostic): throw ConfigError(diagnostics: [diagnostic], sources: sources)
        }
        guard let root, !root.isNull else {
            throw ConfigError(
                diagnostics: [.error("config is empty; it needs at least a 'servers:' list",
                                     at: SourceLocation(file: file, line: 1, column: 1))],
                sources: sources)
        }
        let modules = self.modules
        var decoder = ConfigDecoder(
            file: file, baseDirectory: baseDirectory,
            validateHandler: { modules.validate(module: $0, options: $1, handlerLocation: $2) },
            handlerNames: modules.names)
        let site = decoder.site(root)
        guard var site, !decoder.bag.hasErrors else {
            throw ConfigError(diagnostics: Self.noteVariables(in: decoder.bag.sorted, root: root), sources: sources)
        }
        site.warnings = decoder.bag.sorted
        return site
    }

    /// Adds a note to each diagnostic about a value that looks like `${PORT}` or `$HOME`:
    /// whoever wrote it expected a shell or Compose to expand it, and the error alone (a
    /// port that is not a number) would not say why.
    static func noteVariables(in diagnostics: [Diagnostic], root: ConfigNode) -> [Diagnostic] {
        var locations = Set<SourceLocation>()
        func walk(_ node: ConfigNode) {
            switch node.value {
            case .scalar(let text, _):
                if text.range(of: #"\$(\{|[A-Za-z_])"#, options: .regularExpression) != nil {
                    locations.insert(node.location)
                }
            case .mapping(let entries): entries.forEach { walk($0.value) }
            case .sequence(let items): items.forEach(walk)
            }
        }
        walk(root)
        return diagnostics.map { diagnostic in
            guard locations.contains(diagnostic.location) else { return diagnostic }
            var noted = diagnostic
            noted.notes.append(.init("environment variables are not expanded; write the value itself"))
            return noted
        }
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
