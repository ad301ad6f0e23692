import NIOCore
import NIOHTTP1

/// HTTP/2 on one stream: the response as `HTTP2StreamAdapter.ResponsePart`s, which the
/// stream's adapter makes HEADERS and DATA frames of. The head goes straight to its HEADERS
/// block (`HTTP2Messages.responseBlock`), and the last part of a response says that it ends
/// the stream, so that END_STREAM goes on its frame. Files go out as file regions; below TLS,
/// `FileRegionReader` turns them into buffers. A streamed body is DATA frames as its pieces
/// come, and END_STREAM after the last.
final class HTTP2ResponseWriter: ResponseWriter {
    /// The one every connection (or stream) uses.
    static let shared = HTTP2ResponseWriter()

    private init() {}

    func writeInterim(_ status: HTTPResponseStatus, version: HTTPVersion, context: ChannelHandlerContext) {
        write(.headers(HTTP2Messages.interimBlock(status), endStream: false), context: context, promise: nil)
    }

    func writeHead(_ head: ResponseHeadFields, body: ByteBuffer?, endsResponse: Bool, context: ChannelHandlerContext,
                   promise: EventLoopPromise<Void>?) throws(ResponseHead.InvalidHeader) {
        let block = try HTTP2Messages.responseBlock(head)
        if let body {
            write(.headers(block, endStream: false), context: context, promise: nil)
            writeBody(.byteBuffer(body), endsResponse: endsResponse, context: context, promise: promise)
        } else {
            write(.headers(block, endStream: endsResponse), context: context, promise: promise)
        }
    }

    func writeBody(_ data: IOData, endsResponse: Bool, context: ChannelHandlerContext,
                   promise: EventLoopPromise<Void>?) {
        write(.body(data, endStream: endsResponse), context: context, promise: promise)
    }

    func writeStreamed(_ piece: ByteBuffer, head: ResponseHeadFields, context: ChannelHandlerContext,
                       promise: EventLoopPromise<Void>?) {
        write(.body(.byteBuffer(piece), endStream: false), context: context, promise: promise)
    }

    func writeStreamEnd(head: ResponseHeadFields, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        write(.end, context: context, promise: promise)
    }

    /// Resets the stream with INTERNAL_ERROR (the server failed it); the connection goes on.
    func abandonResponse(context: ChannelHandlerContext) {
        write(.reset(.internalError), context: context, promise: nil)
    }

    var abandonment: String { "resetting the stream" }

    private func write(_ part: HTTP2StreamAdapter.ResponsePart, context: ChannelHandlerContext,
                       promise: EventLoopPromise<Void>?) {
        context.write(NIOAny(part), promise: promise)
    }
}
