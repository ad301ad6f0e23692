#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A blocking client for the control socket, for command-line tools.
public final class ControlClient {
    /// Why talking to the control socket failed.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong, for people.
        public var description: String
    }

    private let fd: Int32
    private var pending = Data()

    /// Connects to the control socket at `path`.
    /// - Throws: `Failure` when nothing accepts there.
    public init(path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw Failure(description: "control socket path is too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "cannot connect to control socket \(path): \(reason) (is the server running?)")
        }
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// Sends `command` and waits up to `timeout` for the reply.
    public func send(_ command: ControlProtocol.Command, timeout: Duration) throws -> ControlProtocol.Reply {
        var line = try JSONEncoder().encode(ControlProtocol.Request(command: command))
        line.append(UInt8(ascii: "\n"))
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else { throw Failure(description: "cannot send to the control socket") }
        let deadline = ContinuousClock.now + timeout
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let reply = pending[pending.startIndex..<newline]
                pending.removeSubrange(pending.startIndex...newline)
                return try JSONDecoder().decode(ControlProtocol.Reply.self, from: Data(reply))
            }
            let more: Bool
            do {
                more = try readMore(until: deadline)
            } catch is TimedOut {
                throw Failure(description: "no answer within \(timeout.formatted)")
            }
            guard more else { throw Failure(description: "the server closed the control connection without answering") }
        }
    }

    /// Waits until the server closes the connection, as it does when it exits.
    /// - Returns: false when `timeout` passed first.
    public func waitForClose(timeout: Duration) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        do {
            while try readMore(until: deadline) {}
            return true
        } catch is TimedOut {
            return false
        }
    }

    private struct TimedOut: Error {}

    /// Reads what is available; false at end of file.
    private func readMore(until deadline: ContinuousClock.Instant) throws -> Bool {
        let remaining = deadline - .now
        guard remaining > .zero else { throw TimedOut() }
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(min(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1, 60_000))
        let ready = poll(&poller, 1, milliseconds)
        if ready == 0 { return try readMore(until: deadline) }
        if ready < 0 { if errno == EINTR { return try readMore(until: deadline) }; throw Failure(description: "poll failed") }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(fd, &buffer, buffer.count)
        if count < 0 {
            if errno == EINTR { return true }
            if errno == ECONNRESET { return false }
            throw Failure(description: "read: \(String(cString: strerror(errno)))")
        }
        if count == 0 { return false }
        pending.append(contentsOf: buffer[..<count])
        return true
    }
}
