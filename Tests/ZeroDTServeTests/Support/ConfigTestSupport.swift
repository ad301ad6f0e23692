import Foundation
import Testing
@testable import ZeroDTServe

/// A fresh directory under the system temp directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("zerodt-config-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    /// Creates a directory (and its parents) below this one and returns its path.
    @discardableResult
    func makeDirectory(_ relative: String) throws -> String {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }

    /// Writes a file below this one and returns its path.
    @discardableResult
    func write(_ relative: String, _ contents: String) throws -> String {
        let full = path + "/" + relative
        try Data(contents.utf8).write(to: URL(fileURLWithPath: full))
        return full
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The package checkout, found from this file's location so tests do not depend on the
/// working directory `swift test` was started in.
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            return url.path
        }
    }
    fatalError("Package.swift not found above \(#filePath)")
}()

/// One diagnostic and its notes as flat lines, so a whole list compares in one `#expect`:
/// `"3:5: message"`, then `"note 1:3: first declared here"` or `"note: did you mean …"`.
func flatten(_ diagnostics: [Diagnostic]) -> [String] {
    diagnostics.flatMap { diagnostic -> [String] in
        let severity = diagnostic.severity == .error ? "" : "\(diagnostic.severity.rawValue): "
        var lines = ["\(diagnostic.location.line):\(diagnostic.location.column): \(severity)\(diagnostic.message)"]
        for note in diagnostic.notes {
            if let location = note.location {
                lines.append("note \(location.line):\(location.column): \(note.message)")
            } else {
                lines.append("note: \(note.message)")
            }
        }
        return lines
    }
}

/// Loads `text` and returns its flattened diagnostics; records an issue when it loads.
/// `${NAME}` expands from `environment`, not from the environment the tests run in.
func diagnostics(
    loading text: String, baseDirectory: String = "/nonexistent-base", modules: ModuleRegistry = ModuleRegistry(),
    environment: [String: String] = [:], sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> [String] {
    do {
        let site = try ConfigLoader(modules: modules, environment: environment)
            .load(text: text, file: "site.yaml", baseDirectory: baseDirectory)
        Issue.record("expected diagnostics, but the config loaded: \(site)", sourceLocation: sourceLocation)
        return []
    } catch {
        return flatten(error.diagnostics)
    }
}

/// Loads `text`, recording an issue with the rendered diagnostics when it fails.
/// `${NAME}` expands from `environment`, not from the environment the tests run in.
func loadValid(
    _ text: String, baseDirectory: String, modules: ModuleRegistry = ModuleRegistry(),
    environment: [String: String] = [:], sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> SiteConfig? {
    do {
        return try ConfigLoader(modules: modules, environment: environment)
            .load(text: text, file: "site.yaml", baseDirectory: baseDirectory)
    } catch {
        Issue.record("config did not load:\n\(DiagnosticRenderer(sources: error.sources).render(error.diagnostics))",
                     sourceLocation: sourceLocation)
        return nil
    }
}
