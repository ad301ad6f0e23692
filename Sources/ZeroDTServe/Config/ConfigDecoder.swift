/// Reads typed values out of a `ConfigNode` tree, collecting a diagnostic for every
/// problem instead of stopping at the first. Section-specific decoding lives in
/// extensions (`ConfigDecoder+Server.swift`, `+Listen`, `+Route`).
struct ConfigDecoder {
    /// The file being read, as the user named it.
    let file: String
    /// The directory relative paths are resolved against.
    let baseDirectory: String
    /// Validates a handler module's options; nil when no module has that name. `handler` is
    /// where the route names the module.
    let validateHandler: @Sendable (_ name: String, _ options: ConfigNode?, _ handler: SourceLocation) -> [Diagnostic]?
    /// The names of the known handler modules, for "did you mean".
    let handlerNames: [String]
    var bag = DiagnosticBag()

    /// The keys of a mapping, after checking them against the allowed set.
    struct Fields {
        let node: ConfigNode
        let entries: [String: ConfigNode.Entry]
        /// Unknown keys that are like no allowed key: each may be meant as any of them.
        var unexplainedKeys: [String] = []
        /// The allowed keys that the other unknown keys were taken for ("did you mean").
        var guessedKeys: Set<String> = []

        subscript(key: String) -> ConfigNode? { entries[key]?.value }
        func keyLocation(_ key: String) -> SourceLocation? { entries[key]?.keyLocation }
        func has(_ key: String) -> Bool { entries[key] != nil }
    }

    mutating func error(_ message: String, at location: SourceLocation, notes: [Diagnostic.Note] = []) {
        bag.error(message, at: location, notes: notes)
    }

    mutating func warning(_ message: String, at location: SourceLocation) {
        bag.warning(message, at: location)
    }

    /// Checks that `node` is a mapping with only `allowed` keys and every `required` one.
    /// - Returns: its fields, or nil (after an error) when it is not a mapping.
    mutating func mapping(_ node: ConfigNode, what: String, allowed: [String], required: [String] = []) -> Fields? {
        guard case .mapping(let entries) = node.value else {
            error("'\(what)' must be a mapping, found \(node.kindDescription)", at: node.location)
            return nil
        }
        var known: [String: ConfigNode.Entry] = [:]
        var unexplainedKeys: [String] = []
        var guessedKeys: Set<String> = []
        for entry in entries {
            if allowed.contains(entry.key) {
                known[entry.key] = entry
                continue
            }
            var notes: [Diagnostic.Note] = []
            if let guess = Suggestion.closest(to: entry.key, among: allowed) {
                guessedKeys.insert(guess)
                notes.append(.init("did you mean '\(guess)'?"))
            } else {
                unexplainedKeys.append(entry.key)
                notes.append(.init("valid keys here: \(allowed.joined(separator: ", "))"))
            }
            error("unknown key '\(entry.key)' in '\(what)'", at: entry.keyLocation, notes: notes)
        }
        let fields = Fields(node: node, entries: known, unexplainedKeys: unexplainedKeys, guessedKeys: guessedKeys)
        for key in required where known[key] == nil {
            missing("missing required key '\(key)' in '\(what)'", anyOf: [key], in: fields)
        }
        return fields
    }

    /// Reports that `fields` lacks all of `keys`, unless an unknown key in it was taken for
    /// one of them: the "did you mean" of that key already says it, and "missing …" first
    /// would hide the typo behind its consequence. Beside an unknown key like no allowed one
    /// it may still be that key's consequence, so it then sorts after the causes.
    mutating func missing(_ message: String, anyOf keys: [String], in fields: Fields) {
        missing(message, anyOf: keys, at: fields.node.location, unexplainedKeys: fields.unexplainedKeys,
                guessedKeys: fields.guessedKeys)
    }

    /// `missing(_:anyOf:in:)` for keys that are not a `Fields` (a module's options).
    mutating func missing(_ message: String, anyOf keys: [String], at location: SourceLocation,
                          unexplainedKeys: [String], guessedKeys: Set<String>) {
        guard guessedKeys.isDisjoint(with: keys) else { return }
        if unexplainedKeys.isEmpty {
            error(message, at: location)
        } else {
            bag.consequence(message, at: location)
        }
    }

    /// A non-empty list's items, or nil (after an error).
    mutating func list(_ node: ConfigNode, what: String, allowEmpty: Bool = false) -> [ConfigNode]? {
        guard case .sequence(let items) = node.value else {
            error("'\(what)' must be a list, found \(node.kindDescription)", at: node.location)
            return nil
        }
        if items.isEmpty && !allowEmpty {
            error("'\(what)' must not be empty", at: node.location)
            return nil
        }
        return items
    }

    /// A scalar's text. Numbers and booleans are accepted as their spelling.
    mutating func string(_ node: ConfigNode, what: String, allowEmpty: Bool = false) -> String? {
        guard case .scalar(let text, let plain) = node.value, !(plain && node.isNull && !text.isEmpty) else {
            error("'\(what)' must be a string, found \(node.kindDescription)", at: node.location)
            return nil
        }
        if text.isEmpty && !allowEmpty {
            error("'\(what)' must not be empty", at: node.location)
            return nil
        }
        return text
    }

    /// A whole number within `range`.
    mutating func integer(_ node: ConfigNode, what: String, range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let text, true) = node.value, let number = Int(text), text.first != "+" else {
            error("'\(what)' must be a whole number, found \(describe(node))", at: node.location)
            return nil
        }
        guard range.contains(number) else {
            error("'\(what)' must be between \(range.lowerBound) and \(range.upperBound), found \(number)", at: node.location)
            return nil
        }
        return number
    }

    /// `true` or `false`.
    mutating func boolean(_ node: ConfigNode, what: String) -> Bool? {
        if case .scalar(let text, true) = node.value {
            switch text {
            case "true", "True", "TRUE", "yes", "on": return true
            case "false", "False", "FALSE", "no", "off": return false
            default: break
            }
        }
        error("'\(what)' must be true or false, found \(describe(node))", at: node.location)
        return nil
    }

    /// A duration such as `250ms` or `1m30s`.
    mutating func duration(_ node: ConfigNode, what: String) -> Duration? {
        guard case .scalar(let text, _) = node.value, let duration = Duration.parseConfigValue(text) else {
            var notes: [Diagnostic.Note] = []
            if case .scalar(let text, _) = node.value {
                if Int(text) != nil {
                    notes.append(.init("add a unit, as in '\(text)s' or '\(text)ms'"))
                } else if let (spelling, caseOnly) = Duration.configSuggestion(for: text) {
                    notes.append(Self.didYouMean(spelling, caseOnly: caseOnly))
                }
            }
            error("'\(what)' must be a duration such as 250ms, 10s or 1m30s, found \(describe(node))",
                  at: node.location, notes: notes)
            return nil
        }
        return duration
    }

    /// A byte size such as `16KiB`.
    mutating func size(_ node: ConfigNode, what: String, minimum: Int = 1) -> Int? {
        guard case .scalar(let text, _) = node.value, let bytes = ConfigSize.parse(text) else {
            var notes: [Diagnostic.Note] = []
            if case .scalar(let text, _) = node.value, let (spelling, caseOnly) = ConfigSize.suggestion(for: text) {
                notes.append(Self.didYouMean(spelling, caseOnly: caseOnly))
            }
            error("'\(what)' must be a size such as 512, 16KiB or 1MiB, found \(describe(node))", at: node.location,
                  notes: notes)
            return nil
        }
        guard bytes >= minimum else {
            error("'\(what)' must be at least \(minimum) bytes", at: node.location)
            return nil
        }
        return bytes
    }

    /// "did you mean '1MiB'?", saying so when only the letter case is wrong, which is easy
    /// to overlook.
    static func didYouMean(_ spelling: String, caseOnly: Bool) -> Diagnostic.Note {
        .init("did you mean '\(spelling)'?" + (caseOnly ? " (units are case-sensitive)" : ""))
    }

    /// One of an enumeration's raw values.
    mutating func choice<T: RawRepresentable & CaseIterable>(_ node: ConfigNode, what: String, as type: T.Type) -> T?
    where T.RawValue == String {
        let options = T.allCases.map(\.rawValue)
        if case .scalar(let text, _) = node.value, let value = T(rawValue: text) { return value }
        var notes: [Diagnostic.Note] = []
        if case .scalar(let text, _) = node.value, let guess = Suggestion.closest(to: text, among: options) {
            notes.append(.init("did you mean '\(guess)'?"))
        }
        error("'\(what)' must be one of \(options.joined(separator: ", ")), found \(describe(node))",
              at: node.location, notes: notes)
        return nil
    }

    /// A file path, made absolute against the config file's directory.
    mutating func path(_ node: ConfigNode, what: String) -> String? {
        guard let text = string(node, what: what) else { return nil }
        // The C calls that will use the path stop at a NUL, so it would name another file.
        guard !text.utf8.contains(0) else {
            error("'\(what)' must not contain a NUL character", at: node.location)
            return nil
        }
        return resolvedPath(text)
    }

    /// A path made absolute against the config file's directory.
    func resolvedPath(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return baseDirectory.hasSuffix("/") ? baseDirectory + path : baseDirectory + "/" + path
    }

    /// How a node is quoted back in messages: `'text'` for scalars, the kind otherwise.
    func describe(_ node: ConfigNode) -> String {
        guard case .scalar(let text, _) = node.value, !node.isNull else { return node.kindDescription }
        let shown = text.count > 40 ? text.prefix(40) + "…" : Substring(text)
        return "'\(shown)'"
    }
}
