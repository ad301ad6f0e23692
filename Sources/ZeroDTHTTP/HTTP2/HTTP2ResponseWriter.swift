import NIOCore
import NIOHTTP1

/// HTTP/2 on one stream: the response as `HTTPServerResponsePart`s for the stream's
/// `HTTP2StreamAdapter`, which makes HEADERS and DATA frames of them. Files
/// go out as file regions; below TLS, `FileRegionReader` turns them into buffers. A streamed
/// body is DATA frames as its pieces come, and END_STREAM after the last.
///
/// HTTP/2 has no `Connection`, `Keep-Alive` or `Transfer-Encoding` (RFC 9113 §8.2.2): the
/// connection-managed headers are dropped here, and the adapter (`HTTP2Messages`) drops the rest
/// and lower-cases names.
struct HTTP2ResponseWriter: ResponseWriter {
    func writeInterim(_ status: HTTPResponseStatus, version: HTTPVersion, context: ChannelHandlerContext) {
        context.write(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: version, status: status))),
                      promise: nil)
    }

    func writeHead(_ head: ResponseHeadFields, body: ByteBuffer?, endsResponse: Bool, context: ChannelHandlerContext,
                   promise: EventLoopPromise<Void>?) throws(ResponseHead.InvalidHeader) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headers.count + 3)
        try ResponseHead.forEachField(headers: head.headers, date: head.date, server: head.server,
                                      contentLength: head.contentLength, lowercase: true) { name, value in
            headers.add(name: name, value: value)
        }
        let part = HTTPServerResponsePart.head(HTTPResponseHead(version: head.version, status: head.status,
                                                                headers: headers))
        if let body {
            context.write(NIOAny(part), promise: nil)
            writeBody(.byteBuffer(body), endsResponse: endsResponse, context: context, promise: promise)
        } else {
            write(part, endsResponse: endsResponse, context: context, promise: promise)
        }
    }

    func writeBody(_ data: IOData, endsResponse: Bool, context: ChannelHandlerContext,
                   promise: EventLoopPromise<Void>?) {
        write(.body(data), endsResponse: endsResponse, context: context, promise: promise)
    }

    func writeStreamed(_ piece: ByteBuffer, head: ResponseHeadFields, context: ChannelHandlerContext,
                       promise: EventLoopPromise<Void>?) {
        write(.body(.byteBuffer(piece)), endsResponse: false, context: context, promise: promise)
    }

    func writeStreamEnd(head: ResponseHeadFields, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        context.write(NIOAny(HTTPServerResponsePart.end(nil)), promise: promise)
    }

    /// Writes `part`, and after it the end of the stream when the response ends there: the
    /// promise then completes with the end.
    private func write(_ part: HTTPServerResponsePart, endsResponse: Bool, context: ChannelHandlerContext,
                       promise: EventLoopPromise<Void>?) {
        guard endsResponse else {
            context.write(NIOAny(part), promise: promise)
            return
        }
        context.write(NIOAny(part), promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.end(nil)), promise: promise)
    }
}
