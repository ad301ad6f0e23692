import Foundation
import TestSupport
import Testing
@testable import ZeroDTServe

/// Mutated configs must load or fail with located diagnostics; they must never trap.
@Suite struct ConfigFuzzTests {
    static let seeds: [String] = [
        ValidConfigTests.everyFeature,
        ((try? String(contentsOfFile: packageRoot + "/config/site.yaml", encoding: .utf8)) ?? "")
            .replacingOccurrences(of: "../examples/site", with: "public"),
        """
        servers: [{name: a, listen: [":80", "[::1]:81", {address: "unix:x.sock", mode: "600"}],
                   routes: [{path: /, respond: {status: 204}}, {path: /r/, redirect: {to: /, status: 301}}]}]
        log: {level: "warning", access: off}
        """,
        "servers:\r\n  - name: a\r\n    listen: &l [\":80\"]\r\n    routes:\r\n      - path: /\r\n        respond: |\r\n          multi\r\n          line\r\n",
    ]

    static let insertions = [":", "[", "{", "]", "}", ",", "&a ", "*a", "\t", "\u{0}", "\n", "\r\n", "- ", "\"", "'",
                             "#", "!!str ", "|", ">", "? ", "\u{2028}", "é", "e\u{301}", "%", "@", "`",
                             "${", "${A}", "${A:-x}", "$$", "$"]

    /// Lines as libyaml counts them, written independently of `SourceText`.
    static func lineCount(_ text: String) -> Int {
        var count = 1
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n" where previous == "\r": break
            case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}": count += 1
            default: break
            }
            previous = scalar
        }
        return count
    }

    static func mutate(_ text: String, using random: inout SplitMix64) -> String {
        var scalars = Array(text.unicodeScalars)
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let index = scalars.isEmpty ? 0 : Int.random(in: 0..<scalars.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0 where !scalars.isEmpty: scalars.remove(at: index)
            case 1 where !scalars.isEmpty: scalars.insert(scalars[index], at: index)
            case 2 where scalars.count > 1 && index + 1 < scalars.count: scalars.swapAt(index, index + 1)
            case 3: scalars = Array(scalars.prefix(index))
            default:
                let insertion = insertions.randomElement(using: &random)!
                scalars.insert(contentsOf: insertion.unicodeScalars, at: index)
            }
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// Loads `text` and checks the outcome; returns a description of what is wrong, if anything.
    static func check(_ text: String, baseDirectory: String) -> String? {
        do {
            _ = try ConfigLoader(modules: ValidConfigTests.echoModule, environment: ["A": "a: [b"])
                .load(text: text, file: "site.yaml", baseDirectory: baseDirectory)
            return nil
        } catch {
            guard !error.diagnostics.isEmpty else { return "ConfigError without diagnostics" }
            let lines = lineCount(text)
            let locations = error.diagnostics.flatMap { [$0.location] + $0.notes.compactMap(\.location) }
            if let bad = locations.first(where: { !(1...lines + 1).contains($0.line) || $0.column < 1 }) {
                return "location \(bad) outside the text's \(lines) lines"
            }
            // Causes in file order, then the errors that may follow from them, in file order.
            let causes = error.diagnostics.prefix { !$0.isConsequence }
            let consequences = error.diagnostics.dropFirst(causes.count)
            if consequences.contains(where: { !$0.isConsequence }) {
                return "a cause listed after a consequence"
            }
            for part in [Array(causes), Array(consequences)] {
                if part.map(\.location) != part.map(\.location).sorted() { return "diagnostics not in file order" }
            }
            _ = DiagnosticRenderer(sources: error.sources).render(error.diagnostics)
            return nil
        }
    }

    @Test func seedsAreValid() throws {
        let base = try ValidConfigTests.makeBase()
        defer { base.remove() }
        for seed in Self.seeds {
            #expect(Self.check(seed, baseDirectory: base.path) == nil)
            #expect((try? ConfigLoader(modules: ValidConfigTests.echoModule)
                .load(text: seed, file: "site.yaml", baseDirectory: base.path)) != nil, "\(seed)")
        }
    }

    @Test func everyTruncationFailsCleanly() throws {
        let base = try ValidConfigTests.makeBase()
        defer { base.remove() }
        for seed in Self.seeds {
            let scalars = Array(seed.unicodeScalars)
            for end in stride(from: 0, to: scalars.count, by: 7) {
                var view = String.UnicodeScalarView()
                view.append(contentsOf: scalars[..<end])
                let text = String(view)
                if let problem = Self.check(text, baseDirectory: base.path) {
                    Issue.record("\(problem) when truncated at \(end):\n\(text)")
                }
            }
        }
    }

    @Test func randomMutationsFailCleanly() throws {
        let base = try ValidConfigTests.makeBase()
        defer { base.remove() }
        var failures = 0
        for (seedIndex, seed) in Self.seeds.enumerated() {
            for round in 0..<1500 {
                let replay = UInt64(seedIndex) << 32 | UInt64(round)
                var random = SplitMix64(seed: replay)
                let text = Self.mutate(seed, using: &random)
                if let problem = Self.check(text, baseDirectory: base.path) {
                    failures += 1
                    Issue.record("\(problem) for mutation seed \(replay):\n\(text)")
                    if failures > 5 { return }
                }
            }
        }
    }

    @Test func aliasExpansionIsBounded() {
        // Each level doubles the tree: 2^17 leaves is past the node limit.
        var text = "a0: &a0 [x, x]\n"
        for level in 1...17 { text += "a\(level): &a\(level) [*a\(level - 1), *a\(level - 1)]\n" }
        let found = diagnostics(loading: text)
        #expect(found.count == 1)
        #expect(found.first?.hasSuffix(": document expands to more than 100000 nodes (aliases?)") == true)
    }
}
