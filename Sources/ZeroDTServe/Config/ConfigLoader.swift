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

/// Reads a config file, with the files its `include:` names, and turns it into a validated
/// `SiteConfig`, or into the complete list of what is wrong with it. It never traps on bad
/// input and binds nothing.
public struct ConfigLoader: Sendable {
    /// Larger files are refused rather than parsed; a real config is a few kilobytes.
    public static let maximumFileSize = 4 * 1024 * 1024

    /// The environment of this process, which `${NAME}` in values expands from by default.
    public static var processEnvironment: [String: String] { ProcessInfo.processInfo.environment }

    /// The handler modules `handler:` routes may name.
    public var modules: ModuleRegistry
    /// The variables that `${NAME}` and `${NAME:-default}` in values expand from.
    public var environment: [String: String]

    /// Creates a loader that knows the given handler modules and expands values from
    /// `environment`, the process's own unless a test gives another.
    public init(modules: ModuleRegistry = ModuleRegistry(), environment: [String: String] = processEnvironment) {
        self.modules = modules
        self.environment = environment
    }

    /// Loads the file at `path`; relative paths inside it resolve against its directory.
    /// - Throws: `ConfigError` with every diagnostic when the file is unreadable or invalid.
    public func load(file path: String) throws(ConfigError) -> SiteConfig {
        let text: String
        switch ConfigDocument.readText(atPath: path) {
        case .success(let read): text = read
        case .failure(let failure):
            throw ConfigError(diagnostics: [.error(failure.message(what: "config"),
                                                   at: SourceLocation(file: path, line: 0, column: 0))],
                              sources: [:])
        }
        let directory = (Self.absolute(path) as NSString).deletingLastPathComponent
        return try load(text: text, file: path, baseDirectory: directory)
    }

    /// Loads config text as if it were the file `file` in `baseDirectory`.
    /// - Throws: `ConfigError` with every diagnostic when the text is invalid.
    public func load(text: String, file: String, baseDirectory: String) throws(ConfigError) -> SiteConfig {
        var sources = [file: text]
        let main: ConfigDocument
        switch ConfigDocument.parse(text, file: file, baseDirectory: baseDirectory, environment: environment) {
        case .success(let document): main = document
        case .failure(let diagnostic): throw ConfigError(diagnostics: [diagnostic], sources: sources)
        }
        guard let root = main.root, !root.isNull else {
            throw ConfigError(
                diagnostics: [.error("config is empty; it needs at least a 'servers:' list",
                                     at: SourceLocation(file: file, line: 1, column: 1))],
                sources: sources)
        }
        var decoder = decoder(for: main)
        let mainPath = Self.joined(baseDirectory, (file as NSString).lastPathComponent)
        var inclusion = Inclusion()
        if let entries = decoder.includeEntries(root) {
            inclusion = include(entries, mainFile: main.file, mainPath: mainPath, baseDirectory: baseDirectory,
                                bag: &decoder.bag)
        }
        var includedServers: [ServerConfig] = []
        for document in inclusion.documents {
            sources[document.file] = document.text
            var included = self.decoder(for: document)
            includedServers += included.includedServers(document.root)
            decoder.bag.append(contentsOf: included.bag.diagnostics)
        }
        let site = decoder.site(root, included: includedServers)

        let documents = [main] + inclusion.documents
        var bag = DiagnosticBag()
        bag.append(contentsOf: documents.reduce(decoder.bag.diagnostics) { $1.expansion?.annotate($0) ?? $0 })
        bag.append(contentsOf: documents.flatMap { $0.expansion?.diagnostics ?? [] })
        let diagnostics = bag.sorted(fileOrder: documents.map(\.file))
        guard var site, !bag.hasErrors else { throw ConfigError(diagnostics: diagnostics, sources: sources) }
        site.warnings = diagnostics
        site.configFiles = [mainPath] + inclusion.files
        site.includeDirectories = inclusion.directories
        return site
    }

    private func decoder(for document: ConfigDocument) -> ConfigDecoder {
        let modules = self.modules
        return ConfigDecoder(
            file: document.file, baseDirectory: document.baseDirectory,
            validateHandler: { modules.validate(module: $0, options: $1, handlerLocation: $2) },
            handlerNames: modules.names)
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : joined(FileManager.default.currentDirectoryPath, path)
    }

    static func joined(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
