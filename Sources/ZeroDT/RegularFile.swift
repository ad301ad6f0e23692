#if canImport(Glibc)
import Glibc
#endif

/// Reads small files that must be regular files: configs, pid files.
///
/// `read(2)` on a FIFO blocks until someone writes to it, and opening a device can have
/// effects of its own, so the type is checked with `stat` before the file is opened, and
/// again with `fstat` on what was opened (non-blocking, in case it was swapped meanwhile).
package enum RegularFile {
    /// Why a file could not be read.
    package enum Failure: Error, Equatable, Sendable {
        /// Nothing at the path (or a path component is not a directory).
        case missing
        /// Not readable by this process.
        case permissionDenied
        /// Not a regular file: "a directory", "a FIFO"…
        case notRegular(String)
        /// Larger than the limit the caller gave.
        case tooLarge
        /// Any other failure of `stat`, `open` or `read`.
        case failed(SystemError)

        /// "no such file", "it is a FIFO, not a regular file"…, for "cannot read …: \(text)".
        package var description: String {
            switch self {
            case .missing: return "no such file"
            case .permissionDenied: return "permission denied"
            case .notRegular(let kind): return "it is \(kind), not a regular file"
            case .tooLarge: return "it is too large"
            case .failed(let error): return error.description
            }
        }
    }

    /// The bytes of the regular file at `path`, if there are at most `limit`.
    ///
    /// With `followingSymlinks` false, a symlink at `path` itself (a pid file in a directory
    /// others can write to) is refused as `.notRegular("a symbolic link")`, also when it is
    /// swapped in between the check and the open.
    package static func read(atPath path: String, limit: Int,
                             followingSymlinks: Bool = true) -> Result<[UInt8], Failure> {
        var info = stat()
        let found = followingSymlinks ? stat(path, &info) : lstat(path, &info)
        guard found == 0 else { return .failure(failure(errno, call: "stat")) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            return .failure(.notRegular(SocketFile.describe(mode: info.st_mode)))
        }
        let fd: Int32
        do {
            let noFollow = followingSymlinks ? 0 : O_NOFOLLOW
            fd = try Posix.call("open") { open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | noFollow) }
        } catch {
            if !followingSymlinks, error.errno == ELOOP { return .failure(.notRegular("a symbolic link")) }
            return .failure(failure(error.errno, call: "open"))
        }
        defer { Posix.close(fd) }
        // A failed `fstat` leaves `info` as `stat` filled it: its errno is the reason.
        guard fstat(fd, &info) == 0 else { return .failure(failure(errno, call: "fstat")) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            return .failure(.notRegular(SocketFile.describe(mode: info.st_mode)))
        }
        var bytes: [UInt8] = []
        // One byte past the limit tells a file that is too large; a pid file asks for 64.
        var chunk = [UInt8](repeating: 0, count: min(limit + 1, 64 * 1024))
        while bytes.count <= limit {
            let count: Int
            do {
                count = try Posix.call("read") { Glibc.read(fd, &chunk, chunk.count) }
            } catch {
                return .failure(failure(error.errno, call: "read"))
            }
            if count == 0 { return .success(bytes) }
            bytes.append(contentsOf: chunk[..<count])
        }
        return .failure(.tooLarge)
    }

    private static func failure(_ code: Int32, call: String) -> Failure {
        switch code {
        case ENOENT, ENOTDIR: return .missing
        case EACCES, EPERM: return .permissionDenied
        default: return .failed(SystemError(call: call, errno: code))
        }
    }
}
