import Foundation
import Testing

/// The command line itself: `--version`, and mistyped commands.
@Suite struct CommandLineTests {
    @Test func versionPrintsTheBuildsVersion() throws {
        let output = try ZeroDTServeBinary.run(["--version"])
        #expect(output.status == 0, "\(output)")
        #expect(output.standardError == "")
        #expect(output.standardOutput.range(of: #"^\d+\.\d+\.\d+.*\n$"#, options: .regularExpression) != nil,
                "\(output)")
    }

    @Test(arguments: [("chek", "check"), ("relaod", "reload"), ("stats", "status"), ("sreve", "serve")])
    func aMistypedCommandIsAUsageErrorWithASuggestion(typed: String, meant: String) throws {
        let output = try ZeroDTServeBinary.run([typed, "--config", "site.yaml"])
        #expect(output.status == 64, "\(output)")
        #expect(output.standardError.contains("unknown command '\(typed)'"), "\(output)")
        #expect(output.standardError.contains("did you mean '\(meant)'?"), "\(output)")
    }

    @Test func aWordNothingLikeACommandListsTheCommands() throws {
        let output = try ZeroDTServeBinary.run(["frobnicate"])
        #expect(output.status == 64, "\(output)")
        #expect(output.standardError.contains("unknown command 'frobnicate'"), "\(output)")
        #expect(output.standardError.contains("serve, check, reload, stop, status"), "\(output)")
    }
}
