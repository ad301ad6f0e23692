import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ZeroDTHTTP

/// A scratch directory tree, removed when the value goes away.
final class TemporaryTree {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/zerodt-static-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno)!) }
        path = String(cString: created)
    }

    deinit {
        // chmod'ed entries must be readable again to be removed.
        _ = try? FileManager.default.subpathsOfDirectory(atPath: path).forEach {
            chmod(path + "/" + $0, 0o755)
        }
        try? FileManager.default.removeItem(atPath: path)
    }

    @discardableResult
    func file(_ relativePath: String, _ contents: String) throws -> String {
        try file(relativePath, Array(contents.utf8))
    }

    @discardableResult
    func file(_ relativePath: String, _ bytes: [UInt8]) throws -> String {
        let full = path + "/" + relativePath
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: full, contents: Data(bytes)) else {
            throw POSIXError(.EIO)
        }
        return full
    }

    func directory(_ relativePath: String) throws {
        try FileManager.default.createDirectory(atPath: path + "/" + relativePath, withIntermediateDirectories: true)
    }

    func symlink(_ relativePath: String, to destination: String) throws {
        guard Foundation.symlink(destination, path + "/" + relativePath) == 0 else {
            throw POSIXError(.init(rawValue: errno)!)
        }
    }

    func fifo(_ relativePath: String) throws {
        guard mkfifo(path + "/" + relativePath, 0o644) == 0 else { throw POSIXError(.init(rawValue: errno)!) }
    }

    /// Rewrites a file without replacing its inode, and waits until its change time has
    /// moved on (timestamps come from a coarse clock, so two writes can share one).
    func overwriteInPlace(_ relativePath: String, _ contents: String) throws {
        let full = path + "/" + relativePath
        var before = stat()
        stat(full, &before)
        var after = before
        repeat {
            let descriptor = open(full, O_WRONLY | O_TRUNC)
            guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
            _ = contents.utf8CString.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count - 1) }
            close(descriptor)
            stat(full, &after)
            if after.st_ctim.tv_sec == before.st_ctim.tv_sec, after.st_ctim.tv_nsec == before.st_ctim.tv_nsec {
                usleep(1_000)
            }
        } while after.st_ctim.tv_sec == before.st_ctim.tv_sec && after.st_ctim.tv_nsec == before.st_ctim.tv_nsec
    }

    /// Sets the modification time, which also moves the change time on.
    func setModified(_ relativePath: String, seconds: Int, nanoseconds: Int = 0) throws {
        var times = [timespec(tv_sec: seconds, tv_nsec: nanoseconds), timespec(tv_sec: seconds, tv_nsec: nanoseconds)]
        guard utimensat(AT_FDCWD, path + "/" + relativePath, &times, 0) == 0 else {
            throw POSIXError(.init(rawValue: errno)!)
        }
    }
}

/// A response as the tests look at it, its file handles already read and closed.
struct Served {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    /// `headers` as the handler rendered them ahead, if it did (``HTTPResponse/renderedHeaders``).
    var renderedHeaders: ByteBuffer?
    var body: [UInt8]
    /// Per body part, whether it came from a file (true) or memory.
    var partIsFile: [Bool]
    /// How many distinct file handles the body used.
    var handleCount: Int

    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        headers[name].first
    }
}

func makeRequest(
    _ uri: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], remainder: String? = nil
) -> HTTPRequest {
    let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
    let path = String(parts[0])
    let head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(headers))
    return HTTPRequest(
        head: head, path: path, query: parts.count > 1 ? String(parts[1]) : nil,
        routeRemainder: remainder.map { Substring($0) } ?? path.dropFirst())
}

/// Runs `request` through `handler` the way a connection would and collects the result.
func serve(_ handler: any HTTPHandler, _ request: HTTPRequest) throws -> Served {
    let loop = EmbeddedEventLoop()
    let context = HTTPRequestContext(eventLoop: loop, serverName: "test", remoteAddress: nil)
    guard case .response(let response) = handler.respond(to: request, context: context) else {
        Issue.record("expected an answer at once")
        throw POSIXError(.EINVAL)
    }
    defer {
        for handle in response.fileHandles {
            try? handle.close()
        }
    }
    var body: [UInt8] = []
    var partIsFile: [Bool] = []
    for part in response.body {
        switch part {
        case .bytes(let buffer):
            body += buffer.readableBytesView
            partIsFile.append(false)
        case .file(let slice):
            var chunk = [UInt8](repeating: 0, count: slice.count)
            let count = try slice.handle.withUnsafeFileDescriptor { descriptor in
                chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, slice.count, off_t(slice.offset)) }
            }
            #expect(count == slice.count)
            body += chunk
            partIsFile.append(true)
        }
    }
    if let stream = response.stream {
        defer { stream.close() }
        while let piece = try stream.next() { body += piece.readableBytesView }
    } else {
        #expect(body.count == response.bodyCount)
    }
    return Served(
        status: response.status, headers: response.headers, renderedHeaders: response.renderedHeaders, body: body,
        partIsFile: partIsFile,
        handleCount: response.fileHandles.count)
}

func get(
    _ handler: any HTTPHandler, _ uri: String, method: HTTPMethod = .GET, headers: [(String, String)] = [],
    remainder: String? = nil
) throws -> Served {
    try serve(handler, makeRequest(uri, method: method, headers: headers, remainder: remainder))
}

/// Bytes whose content shows where they sit, so that a wrong offset cannot go unnoticed.
func patternBytes(_ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 251) }
}
