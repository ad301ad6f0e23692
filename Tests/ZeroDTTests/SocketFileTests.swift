import Foundation
import Testing
@testable import ZeroDT

/// Binding and re-moding unix socket files: only sockets are ever replaced or changed, and
/// no symlink is followed.
@Suite struct SocketFileTests {
    private static func mode(of path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : 0
    }

    @Test func bindRefusesARegularFileAndKeepsIt() throws {
        let directory = try ScratchDirectory(prefix: "socketfile")
        let file = try directory.file("web.txt")
        #expect(throws: SystemError.self) { try Listener.bind(.unix(path: file), backlog: 8) }
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "keep me\n")
    }

    @Test func bindRefusesASymlinkAndKeepsItAndItsTarget() throws {
        let directory = try ScratchDirectory(prefix: "socketfile")
        let target = try directory.file("target.txt")
        let link = directory.path + "/web.sock"
        #expect(symlink(target, link) == 0)
        do {
            _ = try Listener.bind(.unix(path: link), backlog: 8, mode: 0o666)
            Issue.record("bound over a symlink")
        } catch {
            #expect(error.errno == EEXIST)
            #expect("\(error)".contains("is a symbolic link, not a socket"), "\(error)")
        }
        #expect(SocketFile.kind(atPath: link) == .other("a symbolic link"))
        #expect(Self.mode(of: target) == 0o600)
    }

    @Test func bindReplacesAStaleSocketAndSetsTheExactMode() throws {
        let directory = try ScratchDirectory(prefix: "socketfile")
        let path = directory.path + "/web.sock"
        do { _ = try Listener.bind(.unix(path: path), backlog: 8) }  // closed: now stale
        #expect(SocketFile.kind(atPath: path) == .socket)
        let previous = umask(0o077)
        defer { umask(previous) }
        let listener = try Listener.bind(.unix(path: path), backlog: 8, mode: 0o666)
        #expect(listener.fd >= 0)
        #expect(Self.mode(of: path) == 0o666)
    }

    @Test func setModeRefusesASymlinkAndAHardLinkedFile() throws {
        let directory = try ScratchDirectory(prefix: "socketfile")
        let target = try directory.file("target.txt")
        let link = directory.path + "/sym.sock"
        let hard = directory.path + "/hard.sock"
        #expect(symlink(target, link) == 0 && Glibc.link(target, hard) == 0)
        #expect(throws: SystemError.self) { try SocketFile.setMode(0o666, atPath: link) }
        #expect(throws: SystemError.self) { try SocketFile.setMode(0o666, atPath: hard) }
        #expect(Self.mode(of: target) == 0o600)
    }

    @Test func removeIfSocketLeavesOtherFiles() throws {
        let directory = try ScratchDirectory(prefix: "socketfile")
        let file = try directory.file("web.txt")
        #expect(!SocketFile.removeIfSocket(atPath: file))
        #expect(FileManager.default.fileExists(atPath: file))
    }
}
