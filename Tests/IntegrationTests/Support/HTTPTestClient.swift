import Foundation

/// Where a test connects: loopback TCP (v4 or v6) or a unix socket.
enum TestAddress: Sendable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unix(path: String)

    /// The form `listen:` takes.
    var description: String {
        switch self {
        case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): return "unix:\(path)"
        }
    }
}

/// How reading from a connection ended, told apart because the tests care: a server that
/// closes cleanly sends FIN (end of file), one that drops a connection with unread data
/// sends RST (reset).
enum HTTPTestClientError: Error, Equatable, CustomStringConvertible {
    /// The server closed the connection.
    case endOfFile(received: [UInt8])
    /// The server reset the connection.
    case reset
    /// Nothing complete arrived before the deadline.
    case timedOut(received: [UInt8])
    /// The bytes received are not an HTTP/1.1 response.
    case malformed(String)
    /// A socket call failed.
    case system(call: String, errno: Int32)

    var description: String {
        switch self {
        case .endOfFile(let received): return "end of file after \(received.count) bytes: \(Self.text(received))"
        case .reset: return "connection reset"
        case .timedOut(let received): return "timed out after \(received.count) bytes: \(Self.text(received))"
        case .malformed(let reason): return "malformed response: \(reason)"
        case .system(let call, let errno): return "\(call) failed: \(String(cString: strerror(errno)))"
        }
    }

    private static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix(500), as: UTF8.self).debugDescription
    }
}

/// One HTTP/1.1 connection on a blocking socket, for tests: it sends exactly the bytes it is
/// given and parses what comes back, so tests can send what no well-behaved client would.
/// Every call has a deadline, so a server that hangs fails the test instead of the suite.
final class HTTPTestClient {
    private var fd: Int32
    /// Bytes received and not yet consumed by a parsed response.
    private var buffer: [UInt8] = []

    /// Connects to `address`.
    /// - Parameters:
    ///   - timeout: bounds the connect, and every send.
    ///   - receiveBuffer: the socket's receive buffer, set before the connect so that it
    ///     bounds the TCP window: a client that does not read then holds the server up
    ///     after that many bytes, not after the megabytes loopback would otherwise take.
    init(connectingTo address: TestAddress, timeout: Duration = .seconds(5), receiveBuffer: Int? = nil) throws {
        let (family, storage, length) = try Self.socketAddress(address)
        fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPTestClientError.system(call: "socket", errno: errno) }
        if var size = receiveBuffer.map(Int32.init),
           setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            throw HTTPTestClientError.system(call: "setsockopt", errno: errno)
        }
        // SO_SNDTIMEO also bounds a blocking connect on Linux.
        try setTimeout(SO_SNDTIMEO, timeout)
        let result = withUnsafePointer(to: storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard result == 0 else { throw HTTPTestClientError.system(call: "connect", errno: errno) }
    }

    deinit { close() }

    /// Closes the connection; later calls fail.
    func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    /// Whether the server has already ended this connection (its FIN or RST is here), or
    /// sent something nobody asked for: checked without blocking, before reusing an idle
    /// keep-alive connection.
    var peerHasClosed: Bool {
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
        if count < 0 { return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR }
        return true
    }

    /// The local port of a TCP connection (0 for a unix socket), to find it in a trace.
    var localPort: Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        } == 0
        guard ok else { return 0 }
        switch Int32(storage.ss_family) {
        case AF_INET: return withUnsafeBytes(of: storage) { Int(UInt16(bigEndian: $0.load(as: sockaddr_in.self).sin_port)) }
        case AF_INET6: return withUnsafeBytes(of: storage) { Int(UInt16(bigEndian: $0.load(as: sockaddr_in6.self).sin6_port)) }
        default: return 0
        }
    }

    /// Whether `error`, from the exchange just tried, came before any byte of its response:
    /// the connection ended (end of file or reset) with nothing received.
    func failedBeforeAnyResponseByte(_ error: any Error) -> Bool {
        guard buffer.isEmpty, let error = error as? HTTPTestClientError else { return false }
        switch error {
        case .endOfFile(let received): return received.isEmpty
        case .reset: return true
        default: return false
        }
    }

    /// Half-closes: the server reads end of file, and can still answer.
    func shutdownWrite() {
        Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Acknowledges what has arrived now (`TCP_QUICKACK`), not after the delayed ACK's
    /// 40 ms or more: the kernel delays the ACK of a FIN, say, which a server may wait for.
    func acknowledgeNow() {
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_QUICKACK, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Sends all of `text`.
    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    /// Sends all of `bytes`.
    /// - Throws: `.reset` or `.system` when the server is gone.
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a server that closed must fail the test, not kill it with SIGPIPE.
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET || errno == EPIPE { throw HTTPTestClientError.reset }
                throw HTTPTestClientError.system(call: "send", errno: errno)
            }
            offset += sent
        }
    }

    /// Reads one response. A `1xx` interim response is returned on its own.
    /// - Parameter method: the method of the request answered, since `HEAD` has no body.
    func readResponse(method: String = "GET", timeout: Duration = .seconds(5)) throws -> HTTPTestResponse {
        let deadline = ContinuousClock.now + timeout
        var headEnd = try fill(until: deadline) { Self.find(Array("\r\n\r\n".utf8), in: $0) }
        headEnd += 4
        var response = try HTTPTestResponse(head: Array(buffer[..<headEnd]))
        var consumed = headEnd
        if method != "HEAD" && response.status >= 200 && response.status != 204 && response.status != 304 {
            if response.headers["Transfer-Encoding"]?.lowercased() == "chunked" {
                (response.body, consumed) = try readChunks(from: headEnd, until: deadline)
                buffer.removeFirst(consumed)
                return response
            }
            if let value = response.headers["Content-Length"] {
                guard let length = Int(value) else { throw HTTPTestClientError.malformed("Content-Length: \(value)") }
                _ = try fill(until: deadline) { $0.count >= headEnd + length ? true : nil }
                consumed += length
            } else {
                consumed = try readToEnd(until: deadline)
            }
            response.body = Array(buffer[headEnd..<consumed])
        }
        buffer.removeFirst(consumed)
        return response
    }

    /// Waits for the head of the next response and returns it, leaving it unread:
    /// `readResponse` then reads the whole response. For a test that acts while a body is
    /// still on its way.
    func waitForHead(timeout: Duration = .seconds(5)) throws -> HTTPTestResponse {
        let end = try fill(until: ContinuousClock.now + timeout) { Self.find(Array("\r\n\r\n".utf8), in: $0) }
        return try HTTPTestResponse(head: Array(buffer[..<(end + 4)]))
    }

    /// Sends `request` and reads its response.
    func exchange(_ request: String, method: String = "GET", timeout: Duration = .seconds(5)) throws
        -> HTTPTestResponse
    {
        try send(request)
        return try readResponse(method: method, timeout: timeout)
    }

    /// Waits for the server to close the connection and says how: `.endOfFile` with any bytes
    /// still unread, `.reset`, or `.timedOut` when it stays open past `timeout`.
    func waitForClose(timeout: Duration = .seconds(5)) -> HTTPTestClientError {
        do {
            _ = try fill(until: ContinuousClock.now + timeout) { _ in nil as Int? }
            return .timedOut(received: buffer)
        } catch {
            return error
        }
    }

    /// Whether the server sent nothing and kept the connection open for `duration`.
    func staysSilent(for duration: Duration) -> Bool {
        if case .timedOut(let received) = waitForClose(timeout: duration) { return received.isEmpty }
        return false
    }

    /// Reads one line of a line-based protocol, without its newline.
    func readLine(timeout: Duration = .seconds(5)) throws -> String {
        let end = try fill(until: ContinuousClock.now + timeout) { $0.firstIndex(of: UInt8(ascii: "\n")) }
        let line = String(decoding: buffer[..<end], as: UTF8.self)
        buffer.removeFirst(end + 1)
        return line
    }

    /// Reads a chunked body (RFC 9112 §7.1) that starts at `start`, checking its framing:
    /// hex sizes (no extensions), CRLF after each chunk, the last chunk, no trailers. The body
    /// decoded, and where the response ends.
    private func readChunks(from start: Int, until deadline: ContinuousClock.Instant) throws -> ([UInt8], Int) {
        var body: [UInt8] = []
        var offset = start
        let crlf = Array("\r\n".utf8)
        while true {
            // Searched from the line's start: the body before it may be megabytes.
            let lineEnd = try fill(until: deadline) { buffer in
                (offset..<max(offset, buffer.count - 1)).first { buffer[$0] == crlf[0] && buffer[$0 + 1] == crlf[1] }
            }
            let line = String(decoding: buffer[offset..<lineEnd], as: UTF8.self)
            guard let size = Int(line, radix: 16), size >= 0, !line.hasPrefix("+") else {
                throw HTTPTestClientError.malformed("chunk size line \(line.debugDescription)")
            }
            offset = lineEnd + 2
            if size == 0 {
                _ = try fill(until: deadline) { $0.count >= offset + 2 ? true : nil }
                guard Array(buffer[offset..<(offset + 2)]) == crlf else {
                    throw HTTPTestClientError.malformed("trailers or no blank line after the last chunk")
                }
                return (body, offset + 2)
            }
            _ = try fill(until: deadline) { $0.count >= offset + size + 2 ? true : nil }
            body += buffer[offset..<(offset + size)]
            guard Array(buffer[(offset + size)..<(offset + size + 2)]) == crlf else {
                throw HTTPTestClientError.malformed("no CRLF after a chunk of \(size) bytes")
            }
            offset += size + 2
        }
    }

    /// Reads until the server closes; the whole buffer is then the body.
    private func readToEnd(until deadline: ContinuousClock.Instant) throws(HTTPTestClientError) -> Int {
        do {
            _ = try fill(until: deadline) { _ in nil as Int? }
        } catch .endOfFile {
            return buffer.count
        }
        throw .timedOut(received: buffer)
    }

    /// Receives until `found` returns a value for the buffer, or the deadline passes.
    private func fill<T>(until deadline: ContinuousClock.Instant, _ found: ([UInt8]) -> T?)
        throws(HTTPTestClientError) -> T
    {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let value = found(buffer) { return value }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw HTTPTestClientError.timedOut(received: buffer) }
            try setTimeout(SO_RCVTIMEO, remaining)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer += chunk[..<count]
            } else if count == 0 {
                throw HTTPTestClientError.endOfFile(received: buffer)
            } else if errno == ECONNRESET {
                throw HTTPTestClientError.reset
            } else if errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK {
                throw HTTPTestClientError.system(call: "recv", errno: errno)
            }
        }
    }

    private func setTimeout(_ option: Int32, _ duration: Duration) throws(HTTPTestClientError) {
        let (seconds, attoseconds) = duration.components
        // A zero timeval means "block forever"; round up so a nearly spent deadline still bounds the call.
        let microseconds = Int(attoseconds / 1_000_000_000_000)
        var time = timeval(tv_sec: Int(seconds), tv_usec: max(microseconds, seconds == 0 ? 1 : 0))
        guard setsockopt(fd, SOL_SOCKET, option, &time, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            throw HTTPTestClientError.system(call: "setsockopt", errno: errno)
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    private static func socketAddress(_ address: TestAddress) throws -> (Int32, sockaddr_storage, socklen_t) {
        var storage = sockaddr_storage()
        switch address {
        case .tcp(let host, let port):
            if host.contains(":") {
                var v6 = sockaddr_in6()
                v6.sin6_family = sa_family_t(AF_INET6)
                v6.sin6_port = in_port_t(UInt16(port).bigEndian)
                guard inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 else { throw HTTPTestClientError.malformed(host) }
                withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: withUnsafeBytes(of: v6) { Array($0) }) }
                return (AF_INET6, storage, socklen_t(MemoryLayout<sockaddr_in6>.size))
            }
            var v4 = sockaddr_in()
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET, host, &v4.sin_addr) == 1 else { throw HTTPTestClientError.malformed(host) }
            withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: withUnsafeBytes(of: v4) { Array($0) }) }
            return (AF_INET, storage, socklen_t(MemoryLayout<sockaddr_in>.size))
        case .unix(let path):
            var un = sockaddr_un()
            un.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: un.sun_path) else {
                throw HTTPTestClientError.malformed("unix socket path too long: \(path)")
            }
            withUnsafeMutableBytes(of: &un.sun_path) { $0.copyBytes(from: bytes) }
            withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: withUnsafeBytes(of: un) { Array($0) }) }
            return (AF_UNIX, storage, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
}

extension HTTPTestClient {
    /// Connects to `127.0.0.1:port`.
    convenience init(port: Int) throws {
        try self.init(connectingTo: .tcp(host: "127.0.0.1", port: port))
    }

    /// A minimal HTTP/1.1 request: `Host: localhost`, the extra `headers`, and a
    /// `Content-Length` for a body (always for `POST` and `PUT`).
    static func requestText(_ method: String, _ target: String, body: String = "", headers: [String] = []) -> String {
        var request = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\n"
        for header in headers { request += header + "\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { request += "Content-Length: \(body.utf8.count)\r\n" }
        return request + "\r\n" + body
    }

    /// Sends a request built by `requestText` and reads its response.
    func request(_ method: String, _ target: String, body: String = "", headers: [String] = []) throws
        -> HTTPTestResponse
    {
        try exchange(Self.requestText(method, target, body: body, headers: headers), method: method)
    }
}
