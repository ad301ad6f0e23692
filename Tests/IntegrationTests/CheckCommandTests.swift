import Foundation
import Testing

/// `zerodt-serve check`, run as a user would.
@Suite(.serialized) struct CheckCommandTests {
    @Test func bundledConfigIsOK() throws {
        let output = try ZeroDTServeBinary.run(["check", "--config", "config/site.yaml"],
                                               currentDirectory: ZeroDTServeBinary.packageRoot)
        #expect(output.status == 0, "\(output)")
        #expect(!output.signalled)
        #expect(output.standardOutput == "config/site.yaml: ok — 1 server, 1 listener, 3 routes\n")
        #expect(output.standardError == "")
    }

    @Test func brokenConfigPrintsEveryDiagnostic() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zerodt-check-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/broken.yaml"
        try """
            servers:
              - name: web
                lisen: [":8080"]
                routes:
                  - path: /
                    respond: { status: 700 }

            """.write(toFile: file, atomically: true, encoding: .utf8)

        let output = try ZeroDTServeBinary.run(["check", "--config", file])
        #expect(output.status == 1, "\(output)")
        #expect(output.standardOutput == "")
        #expect(output.standardError == """
            \(file):3:5: error: unknown key 'lisen' in 'server'
                lisen: [":8080"]
                ^
            \(file):3:5: note: did you mean 'listen'?
            \(file):6:28: error: 'status' must be between 100 and 599, found 700
                    respond: { status: 700 }
                                       ^
            \(file): 2 errors

            """)
    }

    @Test func missingFileIsAUserError() throws {
        let file = "/nonexistent-\(UUID())/site.yaml"
        let output = try ZeroDTServeBinary.run(["check", "--config", file])
        #expect(output.status == 1, "\(output)")
        #expect(output.standardOutput == "")
        #expect(output.standardError == "\(file): error: cannot read config: no such file\n\(file): 1 error\n")
    }

    /// Reading a FIFO blocks until someone writes to it; a config must be a regular file.
    @Test(arguments: ["check", "status", "reload", "stop"])
    func aFIFOAsConfigIsRefusedWithoutHanging(command: String) throws {
        let site = try TestSite()
        let file = site.path("site.yaml")
        try #require(mkfifo(file, 0o644) == 0)
        let output = try ZeroDTServeBinary.run([command, "--config", file], timeout: .seconds(10))
        #expect(output.status == 1, "\(output)")
        #expect(output.standardError.hasPrefix(
            "\(file): error: cannot read config: it is a FIFO, not a regular file\n"), "\(output)")
    }

    @Test func missingOptionIsAUsageError() throws {
        let output = try ZeroDTServeBinary.run(["check"])
        #expect(output.status == 64, "\(output)")
        #expect(output.standardOutput == "")
        #expect(output.standardError.contains("Missing expected argument '--config <file>'"))
    }
}
