import NIOCore
import NIOSSL
import NIOTLS

/// TLS as zerodt-serve sets it up for HTTPS with HTTP/2: TLS 1.2 and 1.3, ALPN `h2` then
/// `http/1.1`, and the writes between two flushes gathered into full records.
enum TLSSetup {
    static func context(certificate: String, key: String) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        tls.minimumTLSVersion = .tlsv12
        tls.applicationProtocols = ["h2", "http/1.1"]
        return try NIOSSLContext(configuration: tls)
    }

    /// Adds TLS, then `http2` once the client has chosen `h2` (a client that does not is closed).
    static func addHandlers(to channel: any Channel, context: NIOSSLContext,
                            http2: @escaping @Sendable (any Channel) throws -> Void) throws {
        let negotiation = ApplicationProtocolNegotiationHandler { result, channel in
            channel.eventLoop.makeCompletedFuture {
                guard case .negotiated("h2") = result else {
                    channel.close(promise: nil)
                    return
                }
                try http2(channel)
            }
        }
        try channel.pipeline.syncOperations.addHandlers(NIOSSLServerHandler(context: context), RecordGatherer(),
                                                        negotiation)
    }
}

/// Copies the buffers written between two flushes into one, so that they go out as few TLS
/// records as zerodt-serve's `TLSRecordCoalescer` makes (NIOSSL makes a record of each write).
/// Promises are not kept: nothing in the floor servers passes one.
final class RecordGatherer: ChannelOutboundHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private var gathered: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .byteBuffer(var buffer) = unwrapOutboundIn(data), promise == nil else {
            flushGathered(context: context)
            context.write(data, promise: promise)
            return
        }
        if gathered == nil {
            gathered = context.channel.allocator.buffer(capacity: 16 * 1024)
        }
        gathered!.writeBuffer(&buffer)
    }

    func flush(context: ChannelHandlerContext) {
        flushGathered(context: context)
        context.flush()
    }

    private func flushGathered(context: ChannelHandlerContext) {
        guard let buffer = gathered else { return }
        gathered = nil
        context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
    }
}
