#if canImport(Glibc)
import Glibc
#endif

/// The lock that makes a pid file belong to one running service, so that a second instance
/// configured with the same pid file refuses to start instead of overwriting the pid (and
/// `stop` then stopping the wrong process).
///
/// Why a companion file, `<pid_file>.lock`: the pid file is replaced by rename on every
/// write, so a lock on it would sit on an inode the next write unlinks, and a second
/// instance would find the new one free. The lock file is created once and never deleted:
/// deleting it would let a second instance create and lock a new inode while the first still
/// holds the old one.
///
/// `flock` locks belong to the open file description, and every successor is handed a
/// duplicate of it: the lock is held without a gap while generations change, and the kernel
/// releases it when the last holder exits, however it exits. Never `LOCK_UN` it: that would
/// release it for every generation sharing the description.
package struct PIDFileLock: Sendable {
    /// The open lock file.
    let fd: Int32

    /// Why the lock could not be taken; the description is the whole message.
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// The lock handed over by a predecessor: already locked, so never locked again.
    init(inheritedFD fd: Int32) {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        self.fd = fd
    }

    private init(fd: Int32) {
        self.fd = fd
    }

    /// The companion file of `pidFile`.
    static func lockPath(of pidFile: String) -> String { pidFile + ".lock" }

    /// Opens (creating it if needed, never through a symlink) and locks the lock file of
    /// `pidFile`, without waiting.
    /// - Throws: `Failure` naming the holder's pid (as its pid file says) when another
    ///   process holds the lock, or saying why the file could not be opened.
    static func acquire(pidFile: String) throws(Failure) -> PIDFileLock {
        let path = lockPath(of: pidFile)
        let fd: Int32
        do {
            // Non-blocking and no controlling tty, in case a FIFO or a device was put there.
            fd = try Posix.call("open") {
                open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0o644)
            }
        } catch {
            let reason = error.errno == ELOOP ? "it is a symbolic link; not following it" : error.description
            throw Failure(description: "cannot open the lock file of pid file \(pidFile), \(path): \(reason)")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            Posix.close(fd)
            throw Failure(description: "cannot use the lock file of pid file \(pidFile), \(path): it is "
                          + "\(SocketFile.describe(mode: info.st_mode)), not a regular file")
        }
        do {
            try Posix.call("flock") { flock(fd, LOCK_EX | LOCK_NB) }
        } catch {
            Posix.close(fd)
            guard error.errno == EWOULDBLOCK else {
                throw Failure(description: "cannot lock \(path): \(error)")
            }
            let holder: String
            if case .success(let pid?) = PIDFile.readPID(atPath: pidFile) {
                holder = "pid \(pid)"
            } else {
                holder = "its pid is not in the pid file yet"
            }
            throw Failure(description: "pid file \(pidFile) is held by another zerodt-serve (\(holder)); "
                          + "stop it first or choose another pid_file")
        }
        return PIDFileLock(fd: fd)
    }

    /// Whether this is the lock of `pidFile` (the same inode as its lock file now), so that a
    /// successor whose config kept the pid file keeps the inherited lock.
    func isLockFile(of pidFile: String) -> Bool {
        var held = stat()
        var current = stat()
        guard fstat(fd, &held) == 0, lstat(Self.lockPath(of: pidFile), &current) == 0 else { return false }
        return held.st_dev == current.st_dev && held.st_ino == current.st_ino
    }

    /// Closes this process's handle; the lock stays held as long as another generation has
    /// its own.
    func close() {
        Posix.close(fd)
    }
}
