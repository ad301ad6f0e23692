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

    /// Creates an error.
    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// `bind: Address already in use`.
    public var description: String { "\(call): \(String(cString: strerror(errno)))" }
}

/// The one way this module makes system calls: retry on `EINTR`, throw `SystemError` on -1.
enum Posix {
    @discardableResult
    static func call<T: FixedWidthInteger>(_ name: String, _ body: () -> T) throws(SystemError) -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let error = errno
            if error != EINTR { throw SystemError(call: name, errno: error) }
        }
    }

    /// `close` must not be retried on `EINTR`: on Linux the fd is gone either way and a
    /// retry could close an fd another thread has just been given.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}

