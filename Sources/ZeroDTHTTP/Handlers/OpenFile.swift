#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// Why a file below a static root cannot be served.
enum FileAccessError: Error, Equatable {
    /// Missing, not a regular file, hidden, or outside what the symlink policy allows.
    case notFound
    /// The server may not read it.
    case forbidden
    /// Anything else the system reported.
    case failed

    /// Maps the errno of a failed `openat`/`fstat`/`pread`.
    init(errno code: CInt) {
        switch code {
        // ELOOP is what O_NOFOLLOW reports for a symlink; a name too long cannot exist.
        case ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG: self = .notFound
        case EACCES: self = .forbidden
        default: self = .failed
        }
    }
}

/// An open file or directory and its `fstat`, closed when dropped unless its descriptor
/// is handed on.
struct OpenFile: ~Copyable {
    let descriptor: CInt
    let status: stat

    /// Takes ownership of `descriptor` and reads its status; closes it if `fstat` fails.
    init(descriptor: CInt) throws(FileAccessError) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let code = errno
            close(descriptor)
            throw FileAccessError(errno: code)
        }
        self.descriptor = descriptor
        self.status = status
    }

    /// Takes ownership of `descriptor`, whose `status` is known already.
    init(descriptor: CInt, status: stat) {
        self.descriptor = descriptor
        self.status = status
    }

    var isDirectory: Bool { status.st_mode & S_IFMT == S_IFDIR }
    var isRegularFile: Bool { status.st_mode & S_IFMT == S_IFREG }
    var size: Int { Int(status.st_size) }

    /// Reads the whole file, `size` bytes, into memory.
    func readAll() throws(FileAccessError) -> ByteBuffer {
        let descriptor = self.descriptor
        let size = self.size
        var failure: FileAccessError?
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { memory in
            var done = 0
            while done < size {
                let count = pread(descriptor, memory.baseAddress! + done, size - done, off_t(done))
                if count > 0 {
                    done += count
                } else if count == 0 {
                    // Truncated since fstat, but the headers already promise the old size.
                    failure = .failed
                    break
                } else if errno != EINTR {
                    failure = FileAccessError(errno: errno)
                    break
                }
            }
            return done
        }
        if let failure { throw failure }
        return buffer
    }

    /// Gives up ownership of the descriptor without closing it.
    consuming func takeDescriptor() -> CInt {
        let descriptor = self.descriptor
        discard self
        return descriptor
    }

    deinit {
        close(descriptor)
    }
}
