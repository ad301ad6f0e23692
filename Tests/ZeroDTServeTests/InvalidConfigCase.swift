import Foundation
import Testing
@testable import ZeroDTServe

/// One broken config and every diagnostic it must produce, as flattened by `flatten`.
///
/// Each case runs in its own temporary directory, which is the config's base directory and
/// holds `public/` (a directory) and `file.txt` (a file); `{TMP}` in the text and in the
/// expectations stands for its path. `${NAME}` expands from `environment` alone.
struct InvalidConfigCase: Sendable, CustomTestStringConvertible {
    let name: String
    let yaml: String
    let expected: [String]
    var modules: [String] = []
    var environment: [String: String] = [:]

    var testDescription: String { name }

    init(_ name: String, _ yaml: String, _ expected: [String], modules: [String] = [],
         environment: [String: String] = [:]) {
        self.name = name
        self.yaml = yaml
        self.expected = expected
        self.modules = modules
        self.environment = environment
    }

    func run() throws -> (actual: [String], expected: [String]) {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.makeDirectory("public")
        try directory.write("file.txt", "not a directory\n")
        var registry = ModuleRegistry()
        for module in modules { registry.register(module) { _ in [] } }
        let substitute = { (text: String) in text.replacingOccurrences(of: "{TMP}", with: directory.path) }
        let actual = diagnostics(loading: substitute(yaml), baseDirectory: directory.path, modules: registry,
                                 environment: environment)
        return (actual, expected.map(substitute))
    }
}
