import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
@testable import ZeroDTHTTP

extension EmbeddedChannel {
    /// Adds the handlers `HTTPServer` puts on an HTTP/1.1 connection (the request-line
    /// monitor, the decoder with the configured header limits, the connection handler) for
    /// `handler` at `/`, behind `front` (nearest the socket), with the access log going into
    /// `accessLog`; then connects the channel.
    func addConnectionHandlers(configuration: HTTPServerConfiguration, handler: any HTTPHandler,
                               front: [any ChannelHandler] = [], accessLog: NIOLockedValueBox<[AccessLogEntry]>,
                               logger: Logger) throws {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = configuration.maxHeaderSize
        limits.maxHeaderListSize = configuration.maxHeaderSize
        let monitor = RequestLineMonitor()
        try pipeline.syncOperations.addHandlers(front + [
            monitor,
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes,
                                                    informationalResponseStrategy: .drop,
                                                    limitConfiguration: limits)),
            HTTPConnectionHandler(configuration: configuration,
                                  routes: RoutingTable(routes: [.init(path: "/", handler: handler)]),
                                  serverName: "test", monitor: monitor,
                                  accessLog: { entry in accessLog.withLockedValue { $0.append(entry) } },
                                  logger: logger),
        ])
        try connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
    }
}
