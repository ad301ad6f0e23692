#if canImport(Glibc)
import Glibc
#endif

/// The file a unix socket is bound to, handled by what it is rather than by its name.
///
/// The directory holding a socket file may be writable by others, who can replace the
/// socket between two calls with a symlink or a hard link to any file. So nothing here
/// follows a symlink, and nothing changes or removes a file that `lstat` (or `fstat` of
/// an `O_PATH` handle) does not show to be a socket: `chmod` through a symlink would make
/// its target world-writable, and `unlink` of a stale "socket" could delete a user's file.
package enum SocketFile {
    /// What is at a socket path.
    package enum Kind: Equatable, Sendable {
        /// Nothing: the path is free to bind.
        case missing
        /// A unix socket file, live or stale.
        case socket
        /// Anything else, described ("a regular file", "a symbolic link").
        case other(String)
    }

    /// What `path` itself is, without following a final symlink.
    package static func kind(atPath path: String) -> Kind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return errno == ENOENT ? .missing : .other("unreadable") }
        return info.st_mode & S_IFMT == S_IFSOCK ? .socket : .other(describe(mode: info.st_mode))
    }

    /// Sets the permission bits of the socket file at `path`, exactly (not masked by the
    /// umask), refusing anything but a socket.
    ///
    /// The file is opened with `O_PATH | O_NOFOLLOW` (which opens nothing and never follows
    /// a symlink), checked with `fstat`, and changed through `/proc/self/fd`, so the check
    /// and the change are about the same inode.
    /// - Throws: `SystemError` from `chmod`, with `EEXIST` when `path` is not a socket.
    package static func setMode(_ mode: UInt32, atPath path: String) throws(SystemError) {
        let handle = try Posix.call("open") { open(path, Posix.openPathFlag | O_NOFOLLOW | O_CLOEXEC) }
        defer { Posix.close(handle) }
        var info = stat()
        try Posix.call("fstat") { fstat(handle, &info) }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw notASocket(path, call: "chmod", is: describe(mode: info.st_mode), action: "leaving its mode alone")
        }
        try Posix.call("chmod") { chmod("/proc/self/fd/\(handle)", mode_t(mode)) }
    }

    /// Removes `path` if it is a socket file; anything else is left alone.
    /// - Returns: whether a socket file was removed.
    @discardableResult
    package static func removeIfSocket(atPath path: String) -> Bool {
        // The check is against a path naming someone's file by mistake. Racing it gains
        // nothing: unlink removes only the name, which whoever can swap it could remove.
        guard kind(atPath: path) == .socket else { return false }
        return unlink(path) == 0
    }

    /// The error for a path that should be a socket and is not.
    static func notASocket(_ path: String, call: String, is kind: String, action: String) -> SystemError {
        SystemError(call: call, errno: EEXIST, detail: "\(path) is \(kind), not a socket; \(action)")
    }

    /// "a regular file", "a directory"… for messages.
    package static func describe(mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: return "a regular file"
        case S_IFDIR: return "a directory"
        case S_IFLNK: return "a symbolic link"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "a special file"
        }
    }
}
