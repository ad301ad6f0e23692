import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
@testable import ZeroDTHTTP

extension EmbeddedChannel {
    /// Adds the handlers `HTTPServer` puts on an HTTP/1.1 connection (the request-line
    /// monitor, which adds the decoder with the configured header limits, the connection handler) for
    /// `handler` at `/`, behind `front` (nearest the socket), with the access log going into
    /// `accessLog`; then connects the channel.
    /// `readsSimpleHeads: false` leaves every request to NIO's decoder, there from the start
    /// as before the monitor's fast path, to compare the two.
    func addConnectionHandlers(configuration: HTTPServerConfiguration, handler: any HTTPHandler,
                               front: [any ChannelHandler] = [], accessLog: NIOLockedValueBox<[AccessLogEntry]>,
                               logger: Logger, readsSimpleHeads: Bool = true) throws {
        // A monitor with the fast path adds the decoder when a request needs it.
        let monitor = readsSimpleHeads ? RequestLineMonitor(simpleHeadLimit: configuration.maxHeaderSize)
            : RequestLineMonitor()
        let decoder: [any ChannelHandler] = readsSimpleHeads ? []
            : [RequestLineMonitor.decoder(maxHeaderSize: configuration.maxHeaderSize)]
        try pipeline.syncOperations.addHandlers(front + [monitor] + decoder + [
            HTTPConnectionHandler(configuration: configuration,
                                  routes: RoutingTable(routes: [.init(path: "/", handler: handler)]),
                                  serverName: "test", monitor: monitor,
                                  accessLog: { entry in accessLog.withLockedValue { $0.append(entry) } },
                                  writesReachSocket: front.isEmpty, logger: logger),
        ])
        try connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
    }
}

extension EmbeddedChannel {
    /// Everything written to the socket since the last call, as text.
    func outboundText() throws -> String {
        var text = ""
        while let data = try readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = data else { continue }
            text += String(buffer: buffer)
        }
        return text
    }
}
