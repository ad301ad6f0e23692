import Foundation
import Testing
@testable import ZeroDTServe

/// `ConfigLoader.load(file:)`: what happens before any YAML is read.
@Suite struct ConfigFileLoadingTests {
    static let minimal = """
        servers:
          - name: a
            listen: ["unix:a.sock"]
            routes: [{ path: /, static: public }]
        """

    func failure(loading path: String) -> [String] {
        do {
            _ = try ConfigLoader().load(file: path)
            Issue.record("expected \(path) not to load")
            return []
        } catch {
            #expect(error.diagnostics.allSatisfy { $0.location.file == path })
            return flatten(error.diagnostics)
        }
    }

    @Test func missingFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(failure(loading: directory.path + "/absent.yaml") == ["0:0: cannot read config: no such file"])
    }

    @Test func directoryInsteadOfFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(failure(loading: directory.path) == ["0:0: cannot read config: it is a directory, not a regular file"])
    }

    @Test(.enabled(if: getuid() != 0, "root can read a file without read permission"))
    func unreadableFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("site.yaml", Self.minimal)
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: file)
        #expect(failure(loading: file) == ["0:0: cannot read config: permission denied"])
    }

    @Test func notUTF8() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.path + "/site.yaml"
        try Data([0x73, 0x3A, 0x20, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: file))
        #expect(failure(loading: file) == ["0:0: config is not valid UTF-8 text"])
    }

    @Test func tooLarge() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("site.yaml", String(repeating: "#\n", count: ConfigLoader.maximumFileSize / 2 + 1))
        #expect(failure(loading: file) == ["0:0: config is larger than 4 MiB"])
    }

    @Test func relativePathsResolveAgainstTheFilesDirectory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.makeDirectory("conf/public")
        let file = try directory.write("conf/site.yaml", Self.minimal)
        let site = try ConfigLoader().load(file: file)
        #expect(site.file == file)
        #expect(site.listeners[0].address.unixPath == directory.path + "/conf/a.sock")
        #expect(site.routes[0].action == .staticFiles(StaticConfig(root: directory.path + "/conf/public")))
    }

    @Test func diagnosticsNameTheFileAsGiven() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("site.yaml", "servers: []\n")
        do {
            _ = try ConfigLoader().load(file: file)
            Issue.record("expected an empty server list to fail")
        } catch {
            #expect(error.diagnostics.map(\.description) == ["\(file):1:10: error: 'servers' must not be empty"])
            #expect(error.sources == [file: "servers: []\n"])
        }
    }
}
