import Foundation

/// A response as `TestHTTPConnection` read it.
struct TestHTTPResponse: Sendable {
    var status: Int
    /// Header names lower-cased, in order.
    var headers: [(name: String, value: String)]
    var body: String

    func header(_ name: String) -> String? {
        headers.first { $0.name == name.lowercased() }?.value
    }
}

/// One blocking HTTP/1.1 client connection to 127.0.0.1, kept open between requests so
/// tests can use keep-alive; every read has a timeout.
final class TestHTTPConnection {
    private let fd: Int32
    private var buffered: [UInt8] = []

    /// Connects to `127.0.0.1:port`.
    init(port: Int, timeout: Duration = .seconds(10)) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProcessTestError(description: "socket: errno \(errno)") }
        var time = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let error = errno
            close(fd)
            throw ProcessTestError(description: "connect to port \(port): errno \(error)")
        }
    }

    deinit { close(fd) }

    /// Sends a request without waiting for the answer.
    func send(_ method: String, _ target: String, body: String = "", headers: [String] = []) throws {
        var request = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\n"
        for header in headers { request += header + "\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { request += "Content-Length: \(body.utf8.count)\r\n" }
        request += "\r\n" + body
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { throw ProcessTestError(description: "write: errno \(errno)") }
            sent += count
        }
    }

    /// Reads one response (the body by `Content-Length`).
    func receive(isHead: Bool = false) throws -> TestHTTPResponse {
        let separator = Array("\r\n\r\n".utf8)
        var end: Int?
        while true {
            if let range = firstRange(of: separator) { end = range; break }
            try fill()
        }
        let headText = String(decoding: buffered[..<end!], as: UTF8.self)
        buffered.removeFirst(end! + separator.count)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw ProcessTestError(description: "bad status line in:\n\(headText)")
        }
        let headers = lines.map { line -> (name: String, value: String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]).lowercased(), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        }
        let length = isHead ? 0 : Int(headers.first { $0.name == "content-length" }?.value ?? "0") ?? 0
        while buffered.count < length { try fill() }
        let body = String(decoding: buffered[..<length], as: UTF8.self)
        buffered.removeFirst(length)
        return TestHTTPResponse(status: status, headers: headers, body: body)
    }

    /// Sends a request and reads its response.
    func request(_ method: String, _ target: String, body: String = "", headers: [String] = []) throws -> TestHTTPResponse {
        try send(method, target, body: body, headers: headers)
        return try receive(isHead: method == "HEAD")
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else {
            throw ProcessTestError(description: count == 0 ? "connection closed by the server" : "read: errno \(errno)")
        }
        buffered.append(contentsOf: chunk[..<count])
    }

    private func firstRange(of needle: [UInt8]) -> Int? {
        guard buffered.count >= needle.count else { return nil }
        for start in 0...(buffered.count - needle.count) where buffered[start..<start + needle.count].elementsEqual(needle) {
            return start
        }
        return nil
    }

    /// A TCP port on 127.0.0.1 that nothing listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw ProcessTestError(description: "cannot find a free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A temporary directory for one test's config, removed on deinit.
final class ModuleTestDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("zerodt-modules-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` inside and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
}
