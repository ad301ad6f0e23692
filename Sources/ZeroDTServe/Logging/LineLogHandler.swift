import Foundation
import Logging
import ZeroDTHTTP

/// Writes one line per log event to stderr, as text or JSON, tagged with the process's
/// generation and pid so that lines from overlapping generations can be told apart.
struct LineLogHandler: LogHandler {
    /// Process-wide values every line carries.
    struct Identity: Sendable {
        /// Nil in the supervisor, which is no generation.
        var generation: Int?
        var pid: Int32

        /// `[gen 2 pid 4711]` or `[supervisor pid 1]`.
        var tag: String {
            generation.map { "[gen \($0) pid \(pid)]" } ?? "[supervisor pid \(pid)]"
        }

        /// `"gen":2` or `"role":"supervisor"`, then the pid.
        var jsonFields: [(String, String)] {
            let role = generation.map { ("gen", String($0)) } ?? ("role", LineLogHandler.jsonString("supervisor"))
            return [role, ("pid", String(pid))]
        }
    }

    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let label: String
    let format: LogConfig.Format
    let identity: Identity
    /// Where the lines go.
    let sink: any LineSink

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let line: String
        switch format {
        case .text: line = textLine(event.level, "\(event.message)", merged)
        case .json: line = jsonLine(event.level, "\(event.message)", merged)
        }
        sink.write(line)
    }

    private func textLine(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata) -> String {
        var line = "\(LogTime.iso()) \(level.rawValue) \(identity.tag) \(message)"
        for key in metadata.keys.sorted() {
            line += " \(key)=\(Self.quotedIfNeeded("\(metadata[key]!)"))"
        }
        return line + "\n"
    }

    private func jsonLine(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata) -> String {
        var fields: [(String, String)] = [
            ("time", Self.jsonString(LogTime.iso())), ("level", Self.jsonString(level.rawValue)),
        ] + identity.jsonFields + [("msg", Self.jsonString(message))]
        for key in metadata.keys.sorted() {
            fields.append((key, Self.jsonValue(metadata[key]!)))
        }
        return "{" + fields.map { "\(Self.jsonString($0.0)):\($0.1)" }.joined(separator: ",") + "}\n"
    }

    private static func quotedIfNeeded(_ value: String) -> String {
        // Control characters too: a value must never start a line of its own.
        value.isEmpty || value.unicodeScalars.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.value < 0x20 || $0.value == 0x7F })
            ? jsonString(value) : value
    }

    private static func jsonValue(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text): return jsonString(text)
        case .stringConvertible(let convertible):
            if let number = convertible as? any BinaryInteger { return "\(number)" }
            return jsonString(convertible.description)
        case .array(let items): return "[" + items.map(jsonValue).joined(separator: ",") + "]"
        case .dictionary(let entries):
            return "{" + entries.keys.sorted().map { "\(jsonString($0)):\(jsonValue(entries[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    static func jsonString(_ text: String) -> String {
        JSONText.string(text)
    }
}
