#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix

/// The hello route's answer as zerodt-serve sends it (same fields, order and values), remade
/// at most once a second per event loop thread for its `Date`, as zerodt-serve does.
enum HelloResponse {
    static let body = "Hello, World!"
    static let contentType = "text/plain; charset=utf-8"
    static let server = "zerodt"

    /// The current second's answer: HTTP/1.1 bytes, and the HTTP/2 header block and body.
    final class Current {
        fileprivate(set) var second: time_t = -1
        fileprivate(set) var http1 = ByteBuffer()
        fileprivate(set) var http2Headers = HPACKHeaders()
        let http2Body = ByteBuffer(string: HelloResponse.body)
    }

    /// Each thread's own, so event loops never share one.
    nonisolated(unsafe) private static let caches = ThreadSpecificVariable<Current>()

    static var current: Current {
        let cache: Current
        if let existing = caches.currentValue {
            cache = existing
        } else {
            cache = Current()
            caches.currentValue = cache
        }
        let second = time(nil)
        if second != cache.second {
            cache.second = second
            let date = httpDate(second)
            cache.http1 = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Type: \(contentType)\r\nDate: \(date)\r\n"
                + "Server: \(server)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            cache.http2Headers = [":status": "200", "content-type": contentType, "date": date, "server": server,
                                  "content-length": String(body.utf8.count)]
        }
        return cache
    }

    /// The HTTP/2 answer's frames: HEADERS, then DATA with END_STREAM.
    static var http2Frames: (headers: HTTP2Frame.FramePayload, data: HTTP2Frame.FramePayload) {
        let response = current
        return (.headers(.init(headers: response.http2Headers)),
                .data(.init(data: .byteBuffer(response.http2Body), endStream: true)))
    }

    /// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
    static func httpDate(_ seconds: time_t) -> String {
        var seconds = seconds
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var text = [CChar](repeating: 0, count: 40)
        let length = strftime(&text, text.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: text.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
