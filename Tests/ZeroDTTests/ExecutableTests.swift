import Foundation
import Testing
@testable import ZeroDT

@Suite struct ExecutableTests {
    @Test func absolutePathsStayAsGiven() {
        #expect(Executable.resolve(argv0: "/opt/app/current/bin/serve", workingDirectory: "/x", searchPath: nil)
            == "/opt/app/current/bin/serve")
    }

    @Test func relativePathsResolveAgainstTheWorkingDirectoryWithoutFollowingSymlinks() {
        #expect(Executable.resolve(argv0: "./bin/../bin/serve", workingDirectory: "/srv/current", searchPath: nil)
            == "/srv/current/bin/../bin/serve")
    }

    @Test func bareNamesAreSearchedInPath() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zerodt-exe-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tool = directory.appendingPathComponent("zerodt-fake-tool").path
        #expect(FileManager.default.createFile(atPath: tool, contents: Data("#!/bin/sh\n".utf8),
                                               attributes: [.posixPermissions: 0o755]))
        #expect(Executable.resolve(argv0: "zerodt-fake-tool", workingDirectory: "/",
                                   searchPath: "/nonexistent:\(directory.path)") == tool)
        #expect(Executable.resolve(argv0: "zerodt-missing-tool", workingDirectory: "/", searchPath: directory.path) == nil)
    }
}
