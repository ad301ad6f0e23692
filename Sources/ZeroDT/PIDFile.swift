#if canImport(Glibc)
import Glibc
#endif

/// The pid file: written to a temporary file and renamed over it, so a reader never sees it
/// half written.
///
/// Its directory may be writable by others (`/tmp`, a shared run directory), who can plant a
/// symlink at any name they can guess and have a root-run server write through it. So the
/// temporary file gets an unpredictable name and is created with `O_EXCL | O_NOFOLLOW`
/// relative to a directory fd (nothing that already exists is ever opened), `renameat`
/// replaces whatever is at the pid file's name rather than following it, and reads refuse
/// anything but a regular file, a symlink included.
package struct PIDFile: Sendable {
    package let path: String

    package init(path: String) {
        self.path = path
    }

    struct WriteError: Error, CustomStringConvertible {
        var description: String
    }

    /// How many unpredictable names are tried before giving up: a clash means someone
    /// creates files in the directory faster than we pick 64-bit random names.
    private static let attempts = 8

    /// Writes `pid` (this process's by default).
    func write(pid: Int32 = getpid()) throws {
        do {
            try replace(with: "\(pid)\n")
        } catch {
            throw WriteError(description: "cannot write pid file '\(path)': \(error)")
        }
    }

    /// Removes the file if it is a regular file that still names this process; a symlink or
    /// anything else put in its place is left alone (`unlink` would only remove the name, but
    /// reading through it to decide could read any file).
    func remove() {
        guard case .success(let pid) = Self.readPID(atPath: path), pid == getpid() else { return }
        unlink(path)
    }

    /// The pid in the pid file at `path`, read without following a symlink or blocking on a
    /// FIFO; nil when the file holds no pid.
    package static func readPID(atPath path: String) -> Result<Int32?, RegularFile.Failure> {
        RegularFile.read(atPath: path, limit: 64, followingSymlinks: false).map { bytes in
            Int32(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
                .flatMap { $0 > 0 ? $0 : nil }
        }
    }

    private func replace(with text: String) throws(SystemError) {
        let (directory, name) = Self.split(path)
        // O_PATH: the handle only names the directory for the *at calls, so no read
        // permission on it is needed.
        let directoryFD = try Posix.call("open \(directory)") {
            open(directory, Posix.openPathFlag | O_DIRECTORY | O_CLOEXEC)
        }
        defer { Posix.close(directoryFD) }
        let (fd, temporary) = try Self.createTemporary(in: directoryFD, for: name)
        do {
            defer { Posix.close(fd) }
            try Posix.writeAll(fd, Array(text.utf8))
            try Posix.call("rename") { renameat(directoryFD, temporary, directoryFD, name) }
        } catch {
            unlinkat(directoryFD, temporary, 0)
            throw error
        }
    }

    /// Creates `<name>.tmp.<random>` in the directory, exclusively.
    private static func createTemporary(in directoryFD: Int32, for name: String) throws(SystemError)
        -> (fd: Int32, name: String)
    {
        var attempt = 1
        while true {
            let temporary = name + ".tmp." + String(UInt64.random(in: .min ... .max), radix: 16)
            do {
                let fd = try Posix.call("open") {
                    openat(directoryFD, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
                }
                return (fd, temporary)
            } catch where error.errno == EEXIST && attempt < attempts {
                attempt += 1
            }
        }
    }

    /// The directory (`.` for a bare name) and the last component of `path`.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}
