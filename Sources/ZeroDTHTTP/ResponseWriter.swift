import NIOCore
import NIOHTTP1

/// A response head as `HTTPConnectionHandler` decided it, before a protocol gives it its form.
struct ResponseHeadFields {
    var version: HTTPVersion
    var status: HTTPResponseStatus
    /// The handler's headers; the connection-managed ones (`ResponseHead.connectionManaged`)
    /// are dropped by every writer.
    var headers: HTTPHeaders
    /// `headers` made into HTTP/1 fields once (``HTTPResponse/renderedHeaders``), if they were.
    var renderedHeaders: ByteBuffer?
    var date: String
    var server: String?
    /// Nil for a response that has no body by definition (204, 304), or a streamed one.
    var contentLength: Int?
    /// The `Connection` value; HTTP/1 only (HTTP/2 forbids the header).
    var connection: String?
    /// The body is streamed: its length is unknown until it ends (`ResponseBodyStream`).
    var isStreamed = false
    /// The response's whole HTTP/1 message as last written (``HTTPResponse/fixedMessage``).
    var fixedMessage: FixedMessage?

    /// Whether the body goes out in HTTP/1.1 chunks: streamed to an HTTP/1.1 client. (HTTP/1.0
    /// has no chunks, HTTP/2 frames of its own.)
    var isChunked: Bool { isStreamed && version.major == 1 && version.minor >= 1 }
}

/// Puts `HTTPConnectionHandler`'s responses on the wire in one protocol's form. The handler
/// decides what to answer (routing, limits, keep-alive, timeouts, the drain) once for every
/// protocol; a writer only decides how the answer looks. Writes go through the handler's
/// context; `endsResponse` marks a response's last write, whose promise completes when the
/// whole response is written.
///
/// Writers keep no state, and each is one shared object (`shared`): a reference to a class is
/// 16 bytes of an existential where a struct took 40, in every connection's handler.
protocol ResponseWriter: AnyObject, Sendable {
    /// An interim response (`100 Continue`), flushed with what follows.
    func writeInterim(_ status: HTTPResponseStatus, version: HTTPVersion, context: ChannelHandlerContext)

    /// The head, and `body` with it (a small body already in memory).
    /// - Throws: `ResponseHead.InvalidHeader`, before anything is written, for a header a
    ///   handler set that cannot go on the wire.
    func writeHead(_ head: ResponseHeadFields, body: ByteBuffer?, endsResponse: Bool, context: ChannelHandlerContext,
                   promise: EventLoopPromise<Void>?) throws(ResponseHead.InvalidHeader)

    /// A piece of the body: bytes, or a region of a file.
    func writeBody(_ data: IOData, endsResponse: Bool, context: ChannelHandlerContext,
                   promise: EventLoopPromise<Void>?)

    /// A piece of a streamed body (`head.isStreamed`), framed as the protocol frames a body of
    /// unknown length; never empty.
    func writeStreamed(_ piece: ByteBuffer, head: ResponseHeadFields, context: ChannelHandlerContext,
                       promise: EventLoopPromise<Void>?)

    /// The end of a streamed body; its promise completes when the whole response is written.
    func writeStreamEnd(head: ResponseHeadFields, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?)

    /// Whether partial segments are held back (`true`, before a response with a file is
    /// written) or sent (`false`, once it is): see `SegmentCoalescing`.
    func coalesceSegments(_ coalesce: Bool, context: ChannelHandlerContext)

    /// Ends the response under way unfinished, where its body cannot be completed (a file cut
    /// short), so that the client sees that it is cut.
    func abandonResponse(context: ChannelHandlerContext)

    /// What `abandonResponse` does, for the log.
    var abandonment: String { get }
}

extension ResponseWriter {
    /// HTTP/1: a body's length is the connection's, so only the connection's close says that
    /// the body is cut.
    func abandonResponse(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }

    var abandonment: String { "closing the connection" }

    /// Nothing: a protocol whose writes are not segments of the connection's own socket.
    func coalesceSegments(_ coalesce: Bool, context: ChannelHandlerContext) {}
}
