#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: its name and `errno`.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call that failed, e.g. `bind`.
    public var call: String
    /// The `errno` it left.
    public var errno: Int32
    /// What went wrong, when the errno's text alone would mislead (a refusal made here
    /// rather than by the kernel).
    public var detail: String?

    /// Creates an error.
    public init(call: String, errno: Int32, detail: String? = nil) {
        self.call = call
        self.errno = errno
        self.detail = detail
    }

    /// `bind: Address already in use`.
    public var description: String { "\(call): \(detail ?? String(cString: strerror(errno)))" }
}

/// The one way this module makes system calls: retry on `EINTR`, throw `SystemError` on -1.
package enum Posix {
    /// `O_PATH`: a handle that names an inode without opening it for I/O, so opening it has
    /// no effect on a FIFO or a device. Glibc's module map hides it (it needs _GNU_SOURCE);
    /// the value is the one every architecture this server runs on uses.
    package static let openPathFlag: CInt = 0o10_000_000

    @discardableResult
    package static func call<T: FixedWidthInteger>(_ name: String, _ body: () -> T) throws(SystemError) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let error = errno
            if error != EINTR { throw SystemError(call: name, errno: error) }
        }
    }

    /// Whether `fd` (above stderr) is a unix socket of `type`: an inherited fd named by a
    /// variable is checked before use, so that a stray or hostile value cannot make a process
    /// talk to its stderr, a pipe or a client connection.
    static func isUnixSocket(_ fd: Int32, type: Int32) -> Bool {
        func option(_ name: Int32) -> Int32? {
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            return getsockopt(fd, SOL_SOCKET, name, &value, &length) == 0 ? value : nil
        }
        return fd > 2 && option(SO_TYPE) == type && option(SO_DOMAIN) == AF_UNIX
    }

    /// Writes all of `bytes` to `fd`, a blocking one.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(SystemError) {
        var written = 0
        while written < bytes.count {
            written += try call("write") {
                bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            }
        }
    }

    /// `close` must not be retried on `EINTR`: on Linux the fd is gone either way and a
    /// retry could close an fd another thread has just been given.
    package static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}

