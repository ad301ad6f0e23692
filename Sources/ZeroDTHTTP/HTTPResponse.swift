import NIOCore
import NIOHTTP1

/// A complete response: status, headers and a body whose size is known up front, so that
/// the connection can send `Content-Length` and `HEAD` gets the same headers as `GET`; or,
/// from within ZeroDTHTTP (on-the-fly compression), a body streamed as it is produced,
/// without `Content-Length`. A compressed `HEAD` always gets the streamed form, as its body is
/// never compressed to learn the length: where a `GET` gets the body at once, with its
/// `Content-Length`, the `HEAD` has none (`EncodingHandler`).
public struct HTTPResponse: Sendable {
    /// One piece of a body.
    public enum BodyPart: Sendable {
        /// Bytes in memory.
        case bytes(ByteBuffer)
        /// `count` bytes of an open file from `offset`, sent with `sendfile`.
        case file(FileSlice)

        /// The number of bytes this part sends.
        public var count: Int {
            switch self {
            case .bytes(let buffer): return buffer.readableBytes
            case .file(let slice): return slice.count
            }
        }
    }

    /// A range of an open file. The connection closes the file once the response is sent
    /// (or dropped); several slices may share one handle.
    public struct FileSlice: Sendable {
        /// The open file.
        public var handle: NIOFileHandle
        /// Where the slice starts.
        public var offset: Int
        /// How many bytes it holds.
        public var count: Int

        /// Creates a slice.
        public init(handle: NIOFileHandle, offset: Int, count: Int) {
            self.handle = handle
            self.offset = offset
            self.count = count
        }
    }

    /// The status line's code and reason.
    public var status: HTTPResponseStatus {
        didSet { fixedMessage = nil }
    }
    /// Headers; `Content-Length`, `Date`, `Server` and `Connection` are added by the connection.
    public var headers: HTTPHeaders {
        // Whoever changes them (an amendment, compression) makes the rendered forms stale.
        didSet {
            renderedHeaders = nil
            fixedMessage = nil
        }
    }
    /// `headers` checked and made into HTTP/1 fields once (``ResponseHead/render(_:)``), for a
    /// response sent many times (a fixed one); nil: they are checked and written per response.
    var renderedHeaders: ByteBuffer?
    /// The body, in order.
    public var body: [BodyPart] {
        didSet { fixedMessage = nil }
    }
    /// For a response sent many times unchanged (a fixed one, whose headers were rendered):
    /// its whole HTTP/1 message as last written, reused while the connection's fields are
    /// the same. Nil once anything of the response changes.
    var fixedMessage: FixedMessage?
    /// A body produced as it is sent, instead of `body` (then empty): it goes out without
    /// `Content-Length`. The connection closes it when done with it, sent or not.
    var stream: (any ResponseBodyStream)?
    /// Whether this is one of ZeroDT's own plain-text error pages (``error(_:headers:)``),
    /// which configured error pages replace.
    var isPlainError = false

    /// Creates a response.
    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: [BodyPart] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Creates a response whose `headers` were rendered once already (``renderedHeaders``).
    init(status: HTTPResponseStatus, headers: HTTPHeaders, rendered: ByteBuffer?, body: [BodyPart] = []) {
        self.init(status: status, headers: headers, body: body)
        renderedHeaders = rendered
    }

    /// Creates a response whose body is `text`.
    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], text: String) {
        var buffer = ByteBufferAllocator().buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        self.init(status: status, headers: headers, body: text.isEmpty ? [] : [.bytes(buffer)])
    }

    /// The total body size.
    public var bodyCount: Int { body.reduce(0) { $0 + $1.count } }

    /// Bodies up to this size share the head's buffer (one `write`); larger ones follow it
    /// as their own buffers, and NIO sends them all with one `writev`. The copy costs more
    /// than the gather past a few KiB: a 16 KiB `.gz` copied behind its head took 12,000 of
    /// its response's 54,000 instructions. Neither needs a write promise on a plain
    /// connection when the body is bytes only (`HTTPConnectionHandler.confirmWrites`).
    static let inlineBodyLimit = 4 * 1024

    /// The body, when it is small bytes that go out in the head's buffer (``inlineBodyLimit``).
    var inlineBody: ByteBuffer? {
        guard body.count == 1, case .bytes(let bytes) = body[0], bytes.readableBytes <= Self.inlineBodyLimit else {
            return nil
        }
        return bytes
    }

    /// A short plain-text error page, as every built-in handler sends.
    public static func error(_ status: HTTPResponseStatus, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: "text/plain; charset=utf-8")
        var response = HTTPResponse(status: status, headers: headers, text: "\(status.code) \(status.reasonPhrase)\n")
        response.isPlainError = true
        return response
    }

    /// 405 with the `Allow` header listing `allowed`.
    static func methodNotAllowed(allowed: [HTTPMethod]) -> HTTPResponse {
        .error(.methodNotAllowed, headers: ["Allow": allowed.map(\.rawValue).joined(separator: ", ")])
    }

    /// The answer to `OPTIONS *` (RFC 9110 §9.3.7), a question about the server rather than
    /// any resource: 200 with no body, `Allow` listing the methods its routes answer.
    static let serverOptions = HTTPResponse(status: .ok,
                                            headers: ["Allow": HTTPMethod.commonMethods.map(\.rawValue).joined(separator: ", ")])

    /// Releases what the body holds (its files, its stream) when the response is not sent.
    func discardBody() {
        fileHandles.forEach { try? $0.close() }
        stream?.close()
    }

    /// The file handles this response owns; closed by whoever drops the response.
    var fileHandles: [NIOFileHandle] { Self.fileHandles(of: body) }

    /// The file handles of `parts`, each once.
    static func fileHandles(of parts: [BodyPart]) -> [NIOFileHandle] {
        var seen: [NIOFileHandle] = []
        for case .file(let slice) in parts where !seen.contains(where: { $0 === slice.handle }) {
            seen.append(slice.handle)
        }
        return seen
    }
}

/// A handler's answer: a response now, or one that completes later on the connection's
/// event loop.
public enum HTTPReply: Sendable {
    /// The response is ready.
    case response(HTTPResponse)
    /// The response will be ready when the future completes; a failed future becomes a 500.
    case deferred(EventLoopFuture<HTTPResponse>)
}

/// Answers requests routed to it. Built-in handlers answer synchronously on the event loop.
public protocol HTTPHandler: Sendable {
    /// The methods this handler accepts; others get 405 with an `Allow` header. Nil accepts all.
    /// Read once, when the route is made (`RoutingTable.Route`), not per request.
    var allowedMethods: [HTTPMethod]? { get }

    /// Produces the reply to `request`.
    /// - Important: called on `context.eventLoop`; must not block it for long.
    func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply
}
