import Foundation
import Testing
@testable import ZeroDT

/// The pid file in a directory others may write to: nothing follows a link, and the lock
/// keeps a second instance away.
@Suite struct PIDFileTests {
    private static func isSymlink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }

    @Test func writeNeverWritesThroughALinkAtTheOldTemporaryName() throws {
        let directory = try ScratchDirectory(prefix: "pidfile")
        let target = try directory.file("target")
        let pidFile = PIDFile(path: directory.path + "/run.pid")
        #expect(symlink(target, pidFile.path + ".tmp.\(getpid())") == 0)
        try pidFile.write(pid: 42)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep me\n")
        #expect(!Self.isSymlink(pidFile.path))
        #expect(try String(contentsOfFile: pidFile.path, encoding: .utf8) == "42\n")
        // Only the planted link is left besides the files: no temporary file lingers.
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names == ["run.pid", "run.pid.tmp.\(getpid())", "target"])
    }

    @Test func writeReplacesALinkAtThePIDFileInsteadOfFollowingIt() throws {
        let directory = try ScratchDirectory(prefix: "pidfile")
        let target = try directory.file("target")
        let pidFile = PIDFile(path: directory.path + "/run.pid")
        #expect(symlink(target, pidFile.path) == 0)
        try pidFile.write(pid: 42)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep me\n")
        #expect(!Self.isSymlink(pidFile.path))
    }

    @Test func readRefusesALinkAndAFIFO() throws {
        let directory = try ScratchDirectory(prefix: "pidfile")
        let target = try directory.file("target", "\(getpid())\n")
        let link = directory.path + "/run.pid"
        #expect(symlink(target, link) == 0)
        #expect(PIDFile.readPID(atPath: link) == .failure(.notRegular("a symbolic link")))
        let fifo = directory.path + "/fifo.pid"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(PIDFile.readPID(atPath: fifo) == .failure(.notRegular("a FIFO")))
        #expect(PIDFile.readPID(atPath: target) == .success(getpid()))
    }

    @Test func removeLeavesALinkAndItsTargetAlone() throws {
        let directory = try ScratchDirectory(prefix: "pidfile")
        let target = try directory.file("target", "\(getpid())\n")
        let pidFile = PIDFile(path: directory.path + "/run.pid")
        #expect(symlink(target, pidFile.path) == 0)
        pidFile.remove()
        #expect(Self.isSymlink(pidFile.path))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "\(getpid())\n")
    }

    @Test func removeRemovesItsOwnPIDOnly() throws {
        let directory = try ScratchDirectory(prefix: "pidfile")
        let pidFile = PIDFile(path: directory.path + "/run.pid")
        try pidFile.write(pid: 1)
        pidFile.remove()
        #expect(FileManager.default.fileExists(atPath: pidFile.path))
        try pidFile.write()
        pidFile.remove()
        #expect(!FileManager.default.fileExists(atPath: pidFile.path))
    }

    @Test func aSecondLockIsRefusedAndNamesTheHolder() throws {
        let directory = try ScratchDirectory(prefix: "pidfile")
        let path = directory.path + "/run.pid"
        let first = try PIDFileLock.acquire(pidFile: path)
        try PIDFile(path: path).write(pid: 4321)
        do {
            let second = try PIDFileLock.acquire(pidFile: path)
            Issue.record("locked twice: \(second.fd)")
        } catch {
            #expect(error.description == "pid file \(path) is held by another zerodt-serve (pid 4321); "
                    + "stop it first or choose another pid_file")
        }
        #expect(first.fd >= 0)
        // The lock file stays: deleting it would let a second instance lock a new inode.
        #expect(FileManager.default.fileExists(atPath: path + ".lock"))
    }

    @Test func theLockFileIsNotOpenedThroughALink() throws {
        let directory = try ScratchDirectory(prefix: "pidfile")
        let target = try directory.file("target")
        let path = directory.path + "/run.pid"
        #expect(symlink(target, path + ".lock") == 0)
        #expect(throws: PIDFileLock.Failure.self) { try PIDFileLock.acquire(pidFile: path) }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep me\n")
    }

    @Test func theInheritedLockIsKeptOnlyForTheSameFile() throws {
        let directory = try ScratchDirectory(prefix: "pidfile")
        let path = directory.path + "/run.pid"
        let lock = try PIDFileLock.acquire(pidFile: path)
        #expect(lock.isLockFile(of: path))
        #expect(!lock.isLockFile(of: directory.path + "/other.pid"))
    }
}
