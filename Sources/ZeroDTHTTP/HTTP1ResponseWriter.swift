import NIOCore
import NIOHTTP1

/// HTTP/1.x on the wire: the head serialized by `ResponseHead` into one buffer (with a small
/// body appended, so that it goes out in one segment), then the body as it is; a response
/// ends with its last byte (every response has a `Content-Length` or no body).
struct HTTP1ResponseWriter: ResponseWriter {
    func writeInterim(_ status: HTTPResponseStatus, version: HTTPVersion, context: ChannelHandlerContext) {
        let interim = ResponseHead.interim(status, version: version, allocator: context.channel.allocator)
        context.write(NIOAny(IOData.byteBuffer(interim)), promise: nil)
    }

    func writeHead(_ head: ResponseHeadFields, body: ByteBuffer?, endsResponse: Bool, context: ChannelHandlerContext,
                   promise: EventLoopPromise<Void>?) throws(ResponseHead.InvalidHeader) {
        var buffer = try ResponseHead.serialize(
            version: head.version, status: head.status, headers: head.headers, date: head.date, server: head.server,
            contentLength: head.contentLength, connection: head.connection,
            extraCapacity: body?.readableBytes ?? 0, allocator: context.channel.allocator)
        if var body { buffer.writeBuffer(&body) }
        context.write(NIOAny(IOData.byteBuffer(buffer)), promise: promise)
    }

    func writeBody(_ data: IOData, endsResponse: Bool, context: ChannelHandlerContext,
                   promise: EventLoopPromise<Void>?) {
        context.write(NIOAny(data), promise: promise)
    }
}
