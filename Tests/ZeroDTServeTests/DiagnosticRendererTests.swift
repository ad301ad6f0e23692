import Testing
@testable import ZeroDTServe

@Suite struct DiagnosticRendererTests {
    /// Renders what the loader reports for `text`, quoting `text` itself.
    func rendered(_ text: String) -> String {
        do {
            _ = try ConfigLoader().load(text: text, file: "site.yaml", baseDirectory: "/")
            Issue.record("expected the config to fail")
            return ""
        } catch {
            return DiagnosticRenderer(sources: error.sources).render(error.diagnostics)
        }
    }

    @Test func unknownKeyWithSuggestion() {
        #expect(rendered("""
            servers:
              - name: a
                lisen: [":80"]
            """) == """
            site.yaml:2:5: error: missing required key 'routes' in 'server'
              - name: a
                ^
            site.yaml:3:5: error: unknown key 'lisen' in 'server'
                lisen: [":80"]
                ^
            site.yaml:3:5: note: did you mean 'listen'?

            """)
    }

    @Test func duplicateKeyQuotesBothOccurrences() {
        #expect(rendered("servers: []\r\nlog:\r\n  level: info\r\nservers: []\r\n") == """
            site.yaml:4:1: error: duplicate key 'servers'
            servers: []
            ^
            site.yaml:1:1: note: first declared here
            servers: []
            ^

            """)
    }

    @Test func tabsBecomeSpacesSoTheCaretLinesUp() {
        let text = "servers: [\t:80]\n"
        #expect(rendered(text) == """
            site.yaml:1:12: error: invalid YAML: did not find expected node content
            servers: [ :80]
                       ^

            """)
    }

    @Test func locationsWithoutSourceOrLineHaveNoSnippet() {
        let renderer = DiagnosticRenderer(sources: ["other.yaml": "a: 1\n"])
        let diagnostics: [Diagnostic] = [
            .error("cannot read config: no such file", at: at(0, 0, file: "missing.yaml")),
            .error("beyond the end", at: at(9, 1, file: "other.yaml")),
            .error("no source", at: at(1, 1), notes: [.init("a note"), .init("elsewhere", at: at(1, 3, file: "other.yaml"))]),
        ]
        #expect(renderer.render(diagnostics) == """
            missing.yaml: error: cannot read config: no such file
            other.yaml:9:1: error: beyond the end
            site.yaml:1:1: error: no source
            site.yaml:1:1: note: a note
            other.yaml:1:3: note: elsewhere
            a: 1
              ^

            """)
    }

    @Test func caretClampsToTheEndOfTheLine() {
        let renderer = DiagnosticRenderer(sources: ["site.yaml": "ab\n"])
        #expect(renderer.render(.error("past the end", at: at(1, 40))) == "site.yaml:1:40: error: past the end\nab\n  ^\n")
    }

    @Test func emptyListRendersNothing() {
        #expect(DiagnosticRenderer().render([]) == "")
    }

    @Test func descriptionIsTheFirstLine() {
        let diagnostic = Diagnostic.error("bad", at: at(3, 4), notes: [.init("ignored")])
        #expect(diagnostic.description == "site.yaml:3:4: error: bad")
        #expect(ConfigError(diagnostics: [diagnostic, diagnostic], sources: [:]).description
            == "site.yaml:3:4: error: bad\nsite.yaml:3:4: error: bad")
    }
}
