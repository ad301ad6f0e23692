import Foundation
import Testing
@testable import ZeroDTServe

/// `include:`: files whose servers are merged after the main file's, each with diagnostics of
/// its own. Each test writes `site.yaml` and the files it includes in a temporary directory.
@Suite struct IncludeTests {
    /// `servers:` with one server per name, listening on `port`, the next port and so on.
    static func servers(_ names: String..., port: Int = 9000) -> String {
        "servers:\n" + names.enumerated().map { index, name in
            "  - name: \(name)\n    listen: [\"127.0.0.1:\(port + index)\"]\n"
                + "    routes: [{ path: /, respond: \(name) }]\n"
        }.joined()
    }

    /// Loads `main` as `site.yaml` in `directory`, with `${NAME}` from `environment` only.
    static func load(_ main: String, in directory: TemporaryDirectory,
                     environment: [String: String] = [:]) throws(ConfigError) -> SiteConfig {
        try ConfigLoader(environment: environment).load(text: main, file: "site.yaml", baseDirectory: directory.path)
    }

    /// The diagnostics of loading `main` as `FILE:LINE:COL: message` lines, each note after
    /// its diagnostic as `note FILE:LINE:COL: message` or `note: message`.
    static func diagnostics(loading main: String, in directory: TemporaryDirectory,
                            sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String] {
        do {
            let site = try load(main, in: directory)
            Issue.record("expected diagnostics, but the config loaded: \(site)", sourceLocation: sourceLocation)
            return []
        } catch {
            return error.diagnostics.flatMap { diagnostic in
                [diagnostic.location.description + ": " + diagnostic.message] + diagnostic.notes.map { note in
                    note.location.map { "note \($0): \(note.message)" } ?? "note: \(note.message)"
                }
            }
        }
    }

    @Test func includedServersFollowTheMainFilesInPatternAndNameOrder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.makeDirectory("conf.d/public")
        try directory.write("conf.d/b.yaml", Self.servers("b1", "b2", port: 9100))
        try directory.write("conf.d/a.yaml", """
            servers:
              - name: a
                listen: ["127.0.0.1:${A_PORT}"]
                routes: [{ path: /, static: public }]
            """)
        try directory.write("conf.d/.hidden.yaml", "not: [yaml")
        try directory.write("conf.d/notes.txt", "not YAML")
        try directory.write("extra.yaml", Self.servers("extra", port: 9200))
        try directory.makeDirectory("empty.d")
        let site = try Self.load("""
            servers:
              - name: main
                listen: ["127.0.0.1:9300"]
                routes: [{ path: /, respond: main }]
            include:
              - ${CONF:-conf.d}/*.yaml
              - extra.yaml
              - empty.d/*.yaml
              - conf.d/a.yaml
            restart:
              watch: [config, binary]
            """, in: directory, environment: ["A_PORT": "9400"])
        #expect(site.servers.map(\.name) == ["main", "a", "b1", "b2", "extra"])
        #expect(site.servers[1].listen.map(\.address) == [.tcp(host: "127.0.0.1", port: 9400)])
        #expect(site.servers[1].routes.first?.action
                    == .staticFiles(StaticConfig(root: directory.path + "/conf.d/public")),
                "relative paths resolve against the included file's directory")
        #expect(site.servers[1].location == at(2, 5, file: "conf.d/a.yaml"))
        let root = directory.path
        #expect(site.configFiles == ["\(root)/site.yaml", "\(root)/conf.d/a.yaml", "\(root)/conf.d/b.yaml",
                                     "\(root)/extra.yaml"])
        #expect(site.includeDirectories == ["\(root)/conf.d", "\(root)/empty.d"])
        #expect(site.watchPaths(executable: "/usr/bin/zerodt-serve") == site.configFiles + site.includeDirectories
            + ["/usr/bin/zerodt-serve"])
    }

    @Test func aMainFileWithoutIncludeIsItsOnlyConfigFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let site = try Self.load(Self.servers("web") + "restart: { watch: [config] }\n", in: directory)
        #expect(site.configFiles == [directory.path + "/site.yaml"])
        #expect(site.watchPaths(executable: "/bin/x") == [directory.path + "/site.yaml"])
    }

    @Test func theServersMayAllBeInIncludedFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.makeDirectory("conf.d")
        try directory.write("conf.d/web.yaml", Self.servers("web"))
        let site = try Self.load("include: [conf.d/*.yaml]\nservers: []\n", in: directory)
        #expect(site.servers.map(\.name) == ["web"])
        try directory.makeDirectory("empty.d")
        #expect(Self.diagnostics(loading: "include: [empty.d/*.yaml]\n", in: directory) == [
            "site.yaml:1:1: no servers: neither this file nor the files 'include' names declare any",
        ])
    }

    @Test func duplicatesAndOverlapsAcrossFilesNameBothPlaces() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.makeDirectory("conf.d")
        try directory.write("conf.d/a.yaml", """
            servers:
              - name: web
                listen: ["127.0.0.1:9001"]
                routes: [{ path: /, respond: a }]
              - name: other
                listen: [":9000"]
                routes: [{ path: /, respond: b }]
            """)
        #expect(Self.diagnostics(loading: Self.servers("web") + "include: [conf.d/a.yaml]\n", in: directory) == [
            "conf.d/a.yaml:2:5: duplicate server name 'web'",
            "note site.yaml:2:5: first declared here",
            "conf.d/a.yaml:6:14: address :9000 overlaps 127.0.0.1:9000 declared earlier",
            "note site.yaml:3:14: first declared here",
        ])
    }

    @Test func problemsInAnIncludedFileAreReportedThere() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.makeDirectory("conf.d")
        try directory.write("conf.d/a.yaml", """
            servers:
              - name: a
                listen: [":${PORT}"]
                routes: [{ path: /, respnd: a }]
            restart: { wait_child: 5s }
            include: [more.yaml]
            lg: {}
            """)
        try directory.write("conf.d/b.yaml", "servers:\n  - name: b\n    listen: [\":1\"\n")
        try directory.write("conf.d/c.yaml", "servers: {}\n")
        try directory.write("conf.d/d.yaml", "- just a list\n")
        try directory.write("conf.d/e.yaml", "# nothing but a comment\n")
        #expect(Self.diagnostics(loading: Self.servers("web") + "include: [\"conf.d/*.yaml\"]\n", in: directory) == [
            "conf.d/a.yaml:3:16: environment variable 'PORT' is not set",
            "note: set it, or give a default as in ${PORT:-value}",
            "conf.d/a.yaml:4:25: unknown key 'respnd' in 'route'",
            "note: did you mean 'respond'?",
            "conf.d/a.yaml:5:1: 'restart' is only allowed in the main config file",
            "note: an included file holds only 'servers:'",
            "conf.d/a.yaml:6:1: 'include' is only allowed in the main config file",
            "note: includes do not nest",
            "conf.d/a.yaml:7:1: unknown key 'lg' in 'top level'",
            "note: did you mean 'log'?",
            "conf.d/b.yaml:4:1: invalid YAML: did not find expected ',' or ']'",
            "note conf.d/b.yaml:3:13: while parsing a flow sequence",
            "conf.d/c.yaml:1:10: 'servers' must be a list, found a mapping",
            "conf.d/d.yaml:1:1: 'top level' must be a mapping, found a list",
        ])
    }

    @Test func theRendererQuotesIncludedFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.makeDirectory("conf.d")
        try directory.write("conf.d/a.yaml",
                            "servers:\n  - name: a\n    listen: []\n    routes: [{ path: /, respond: a }]\n")
        do {
            _ = try Self.load(Self.servers("web") + "include: [conf.d/a.yaml]\n", in: directory)
            Issue.record("the config loaded")
        } catch {
            #expect(DiagnosticRenderer(sources: error.sources).render(error.diagnostics).hasPrefix("""
                conf.d/a.yaml:3:13: error: 'listen' must not be empty
                    listen: []
                            ^

                """))
        }
    }

    @Test func badIncludeEntries() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.makeDirectory("conf.d/sub.yaml")
        try directory.write("site.yaml", "")
        #expect(Self.diagnostics(loading: Self.servers("web") + """
            include:
              - missing.yaml
              - typo.d/*.yaml
              - conf.d/*.yaml
              - "*.yaml"
              - ""
              - [nested]
              - conf.d
            """, in: directory) == [
            "site.yaml:6:5: included file 'missing.yaml' does not exist",
            "site.yaml:7:5: directory '\(directory.path)/typo.d' of include 'typo.d/*.yaml' does not exist",
            "site.yaml:8:5: cannot read included file 'conf.d/sub.yaml/': it is a directory, not a regular file",
            "site.yaml:9:5: include '*.yaml' matches the main config file",
            "note: keep included files apart, as in conf.d/*.yaml",
            "site.yaml:10:5: 'include' must not be empty",
            "site.yaml:11:5: 'include' must be a string, found a list",
            "site.yaml:12:5: included file 'conf.d' is a directory",
            "note: to include the files in it, write 'conf.d/*.yaml'",
        ])
        #expect(Self.diagnostics(loading: Self.servers("web") + "include: conf.d/*.yaml\n", in: directory) == [
            "site.yaml:5:10: 'include' must be a list, found a scalar",
        ])
    }

    @Test func theNumberOfIncludedFilesIsBounded() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.makeDirectory("conf.d")
        for index in 0...ConfigLoader.maximumIncludedFiles {
            try directory.write("conf.d/\(index).yaml", "")
        }
        #expect(Self.diagnostics(loading: Self.servers("web") + "include: [conf.d/*.yaml]\n", in: directory) == [
            "site.yaml:5:11: more than 1000 files are included",
        ])
    }
}
