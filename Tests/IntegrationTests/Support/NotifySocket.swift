import Foundation

/// A stand-in for systemd's notification socket: a datagram unix socket (at a path, or in
/// the abstract namespace) that receives `sd_notify` messages together with the sender's
/// pid, as systemd sees them with `SO_PASSCRED`.
final class NotifySocket {
    /// One datagram: its `KEY=VALUE` lines and the pid of the process that sent it.
    struct Message: CustomStringConvertible {
        var fields: [String]
        var senderPID: Int32

        /// The value of `key`, if the message has it.
        subscript(key: String) -> String? {
            fields.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
        }

        var description: String { "from \(senderPID): \(fields.joined(separator: " | "))" }
    }

    private let fd: Int32
    /// What to put in `NOTIFY_SOCKET`.
    let variable: String
    private let path: String?
    /// Every message received so far, in order.
    private(set) var received: [Message] = []

    /// - Parameter path: a file path, or `@name` for an abstract socket.
    init(path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPTestClientError.system(call: "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard result == 0 else {
            let error = errno
            Glibc.close(fd)
            throw HTTPTestClientError.system(call: "bind", errno: error)
        }
        self.fd = fd
        variable = path
        self.path = abstract ? nil : path
    }

    deinit {
        Glibc.close(fd)
        if let path { unlink(path) }
    }

    /// Receives until a message satisfies `predicate` and returns it.
    /// - Throws: when `timeout` passes first; the error lists what did arrive.
    @discardableResult
    func waitFor(_ what: String, timeout: Duration = .seconds(15), _ predicate: (Message) -> Bool) throws -> Message {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let found = received.first(where: predicate) { return found }
            let remaining = deadline - .now
            guard remaining > .zero else {
                throw ProcessTestError(description: "no notification \(what) within \(timeout); received:\n"
                                       + received.map(\.description).joined(separator: "\n"))
            }
            receive(timeoutMilliseconds: Int32(max(1, remaining.components.seconds * 1000
                                                   + remaining.components.attoseconds / 1_000_000_000_000_000)))
        }
    }

    /// Waits for a message with the field `line` (such as `READY=1`).
    @discardableResult
    func waitFor(field line: String, timeout: Duration = .seconds(15)) throws -> Message {
        try waitFor("with \(line)", timeout: timeout) { $0.fields.contains(line) }
    }

    /// Receives for `duration`, to show that nothing more arrives.
    func drain(for duration: Duration) {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline { receive(timeoutMilliseconds: 20) }
    }

    private func receive(timeoutMilliseconds: Int32) {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, min(timeoutMilliseconds, 200)) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var control = [UInt8](repeating: 0, count: 64)
        var message = msghdr()
        let count = buffer.withUnsafeMutableBytes { data in
            control.withUnsafeMutableBytes { control in
                var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                return withUnsafeMutablePointer(to: &vector) { vector in
                    message.msg_iov = vector
                    message.msg_iovlen = 1
                    message.msg_control = control.baseAddress
                    message.msg_controllen = control.count
                    return recvmsg(fd, &message, 0)
                }
            }
        }
        guard count > 0 else { return }
        var sender: Int32 = 0
        control.withUnsafeBytes { control in
            // One SCM_CREDENTIALS (2) header: cmsghdr (len, level, type), then struct ucred
            // {pid, uid, gid} (Glibc hides both without _GNU_SOURCE).
            let header = MemoryLayout<cmsghdr>.size
            guard message.msg_controllen >= header + 12 else { return }
            let level = control.load(fromByteOffset: MemoryLayout<Int>.size, as: Int32.self)
            let type = control.load(fromByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self)
            guard level == SOL_SOCKET, type == 2 else { return }
            sender = control.load(fromByteOffset: header, as: Int32.self)
        }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        received.append(Message(fields: text.split(separator: "\n").map(String.init), senderPID: sender))
    }
}
