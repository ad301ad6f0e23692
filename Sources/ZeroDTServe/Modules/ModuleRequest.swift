import NIOCore
import NIOHTTP1
import ZeroDTHTTP

/// A request as a handler module sees it.
public struct ModuleRequest: Sendable {
    /// The body: an async sequence of byte buffers, or the whole of it through `collect()`.
    ///
    /// Today the server reads a body in full (within `max_body_size`) before the module
    /// runs, so the sequence yields at most one buffer; code that iterates keeps working
    /// if bodies are streamed later.
    public struct Body: AsyncSequence, Sendable {
        /// The body arrives as buffers.
        public typealias Element = ByteBuffer

        private let buffer: ByteBuffer?

        init(_ buffer: ByteBuffer?) {
            self.buffer = buffer.flatMap { $0.readableBytes > 0 ? $0 : nil }
        }

        /// The body size in bytes, when known before reading.
        public var count: Int? { buffer?.readableBytes ?? 0 }

        /// The whole body in one buffer (empty when there is none).
        public func collect() async throws -> ByteBuffer {
            buffer ?? ByteBuffer()
        }

        /// The whole body, decoded as UTF-8 (invalid bytes become U+FFFD).
        public func string() async throws -> String {
            String(buffer: try await collect())
        }

        /// Iterates the body's buffers.
        public struct AsyncIterator: AsyncIteratorProtocol {
            fileprivate var next: ByteBuffer?

            /// The next buffer, or nil at the end of the body.
            public mutating func next() async throws -> ByteBuffer? {
                defer { next = nil }
                return next
            }
        }

        /// An iterator over the body.
        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(next: buffer)
        }
    }

    /// Method, target, version and headers as received.
    public var head: HTTPRequestHead
    /// The percent-decoded path with dot segments resolved; always starts with `/`.
    public var path: String
    /// The query string after `?`, still percent-encoded; nil when the target has none.
    public var query: String?
    /// The part of `path` below the route: for route `/api/` and path `/api/users/7`, `users/7`.
    public var routeRemainder: String
    /// The body.
    public var body: Body

    /// Creates a request, as tests of a module need.
    public init(head: HTTPRequestHead, path: String? = nil, query: String? = nil, routeRemainder: String = "",
                body: ByteBuffer? = nil) {
        self.head = head
        self.path = path ?? String(head.uri.prefix { $0 != "?" })
        self.query = query
        self.routeRemainder = routeRemainder
        self.body = Body(body)
    }

    init(_ request: HTTPRequest) {
        self.init(head: request.head, path: request.path, query: request.query,
                  routeRemainder: String(request.routeRemainder), body: request.body)
    }

    /// The request method.
    public var method: HTTPMethod { head.method }
    /// The request target exactly as sent, e.g. `/api/users?page=2`.
    public var target: String { head.uri }
    /// The request headers.
    public var headers: HTTPHeaders { head.headers }
}
