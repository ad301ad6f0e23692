import Foundation

/// A handler module's `options:` node, with typed readers that report problems as
/// diagnostics carrying the file, line and column, in the words the rest of the config uses.
///
/// Each reader returns nil when the key is absent or its value is wrong (after recording
/// an error); every key asked for counts as known. When the module is done, the keys it
/// never asked for are reported as unknown, with a "did you mean" note.
public struct ModuleOptions: Sendable {
    /// The module whose options these are.
    public let module: String
    /// The `options:` node as written; nil when the route has none.
    public let node: ConfigNode?
    /// Where the route names its module (the `handler:` value): errors about options that
    /// are missing altogether point here.
    public let handlerLocation: SourceLocation?
    private var decoder: ConfigDecoder
    private var entries: [String: ConfigNode.Entry] = [:]
    private var asked: [String] = []
    /// Required keys that were absent, and where to say so. Reported by `finish()`, once the
    /// unknown keys are known: `greting` is the cause of a missing `greeting`.
    private var missing: [(key: String, location: SourceLocation)] = []

    /// Wraps `node` for `module`, checking that it is a mapping.
    public init(module: String, node: ConfigNode?, handlerLocation: SourceLocation? = nil) {
        self.module = module
        self.node = node
        self.handlerLocation = handlerLocation
        let file = node?.location.file ?? handlerLocation?.file ?? ""
        // Relative paths in options resolve against the config file's directory, as elsewhere.
        let absolute = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
        decoder = ConfigDecoder(file: file, baseDirectory: (absolute as NSString).deletingLastPathComponent,
                                validateHandler: { _, _, _ in [] }, handlerNames: [])
        guard let node, !node.isNull else { return }
        guard case .mapping(let list) = node.value else {
            decoder.error("'options' of module '\(module)' must be a mapping, found \(node.kindDescription)",
                          at: node.location)
            return
        }
        for entry in list { entries[entry.key] = entry }
    }

    /// Every problem reported so far, in file order (missing required options included).
    public var diagnostics: [Diagnostic] {
        var decoder = decoder
        reportMissing(to: &decoder, unexplainedKeys: [], guessedKeys: [])
        return decoder.bag.sorted
    }

    /// Whether an error has been reported.
    public var hasErrors: Bool { decoder.bag.hasErrors || !missing.isEmpty }

    /// Records an error at `location` (use a node's `location`).
    public mutating func error(_ message: String, at location: SourceLocation, notes: [Diagnostic.Note] = []) {
        decoder.error(message, at: location, notes: notes)
    }

    /// The raw node under `key`, for values the typed readers do not cover; marks the key known.
    /// - Parameter required: when true and the key is absent, reports "missing option".
    public mutating func node(_ key: String, required: Bool = false) -> ConfigNode? {
        if !asked.contains(key) { asked.append(key) }
        if let entry = entries[key] { return entry.value }
        if required, !missing.contains(where: { $0.key == key }) {
            let location = node.flatMap { $0.isNull ? nil : $0.location } ?? handlerLocation
                ?? SourceLocation(file: decoder.file, line: 0, column: 0)
            missing.append((key, location))
        }
        return nil
    }

    /// A string; numbers and booleans are accepted as their spelling.
    public mutating func string(_ key: String, required: Bool = false, allowEmpty: Bool = false) -> String? {
        node(key, required: required).flatMap { decoder.string($0, what: key, allowEmpty: allowEmpty) }
    }

    /// A whole number within `range`.
    public mutating func integer(_ key: String, in range: ClosedRange<Int> = Int.min...Int.max,
                                 required: Bool = false) -> Int? {
        node(key, required: required).flatMap { decoder.integer($0, what: key, range: range) }
    }

    /// `true` or `false`.
    public mutating func boolean(_ key: String, required: Bool = false) -> Bool? {
        node(key, required: required).flatMap { decoder.boolean($0, what: key) }
    }

    /// A duration such as `250ms`, `10s` or `1m30s`.
    public mutating func duration(_ key: String, required: Bool = false) -> Duration? {
        node(key, required: required).flatMap { decoder.duration($0, what: key) }
    }

    /// A byte size such as `512`, `16KiB` or `1MiB`.
    public mutating func size(_ key: String, required: Bool = false) -> Int? {
        node(key, required: required).flatMap { decoder.size($0, what: key) }
    }

    /// A file path, made absolute against the config file's directory. Whether it exists
    /// is for the module to check, at start-up if it may be created later.
    public mutating func path(_ key: String, required: Bool = false) -> String? {
        node(key, required: required).flatMap { decoder.path($0, what: key) }
    }

    /// One of an enumeration's raw values, with "did you mean" for near misses.
    public mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, as type: T.Type,
                                                                    required: Bool = false) -> T?
    where T.RawValue == String {
        node(key, required: required).flatMap { decoder.choice($0, what: key, as: type) }
    }

    /// Reports every key that was never asked for and returns all diagnostics. The
    /// registry calls this after `configure(_:)`.
    mutating func finish() -> [Diagnostic] {
        let unknown = entries.values.filter { !asked.contains($0.key) }.sorted { $0.keyLocation < $1.keyLocation }
        var guessed: Set<String> = []
        var unexplained: [String] = []
        for entry in unknown {
            var notes: [Diagnostic.Note] = []
            if asked.isEmpty {
                notes.append(.init("module '\(module)' takes no options"))
            } else if let guess = Suggestion.closest(to: entry.key, among: asked) {
                guessed.insert(guess)
                notes.append(.init("did you mean '\(guess)'?"))
            } else {
                unexplained.append(entry.key)
                notes.append(.init("options of module '\(module)': \(asked.joined(separator: ", "))"))
            }
            decoder.error("unknown option '\(entry.key)' for module '\(module)'", at: entry.keyLocation, notes: notes)
        }
        reportMissing(to: &decoder, unexplainedKeys: unexplained, guessedKeys: guessed)
        missing = []
        return decoder.bag.sorted
    }

    private func reportMissing(to decoder: inout ConfigDecoder, unexplainedKeys: [String], guessedKeys: Set<String>) {
        for (key, location) in missing {
            decoder.missing("module '\(module)' needs option '\(key)'", anyOf: [key], at: location,
                            unexplainedKeys: unexplainedKeys, guessedKeys: guessedKeys)
        }
    }
}
