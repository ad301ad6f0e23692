import Logging
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOTLS

/// Builds the pipeline of each connection an `HTTPServer` accepts, per listener: plain
/// HTTP/1.1; HTTPS with HTTP/1.1 only; or HTTPS where the client chooses HTTP/2 or HTTP/1.1
/// in the handshake (ALPN). An HTTP/2 stream whose complete request has an answer at once is
/// answered by `HTTP2DirectStreams`; every other one gets the same `HTTPConnectionHandler` as
/// an HTTP/1.1 connection (one place for routing, limits and the access log), behind an
/// `HTTP2StreamAdapter` and with an `HTTP2ResponseWriter`; the HTTP/1.1 pipeline is the same
/// whether or not HTTP/2 is offered beside it.
struct ConnectionPipeline: Sendable {
    let configuration: HTTPServerConfiguration
    /// Per listener: its servers.
    let hosts: [VirtualHosts]
    let tls: [TLSServerContext?]
    let logger: Logger
    /// nio-http2's settings, made once rather than per connection.
    private let http2: NIOHTTP2Handler.Configuration
    /// The connection handlers' settings, shared by every connection and stream.
    private let settings: HTTPConnectionStateMachine.Settings

    init(configuration: HTTPServerConfiguration, hosts: [VirtualHosts], tls: [TLSServerContext?], logger: Logger) {
        self.configuration = configuration
        self.hosts = hosts
        self.tls = tls
        self.logger = logger
        http2 = configuration.http2
        settings = HTTPConnectionStateMachine.Settings(configuration, logger: logger)
    }

    /// Sets up a connection accepted by the listener at `listenerIndex`.
    /// - Important: runs on the channel's event loop.
    func configure(_ channel: any Channel, listenerIndex: Int) throws {
        let pipeline = channel.pipeline.syncOperations
        let hosts = hosts[listenerIndex]
        guard let tls = tls[listenerIndex] else {
            // The connection handler adds its `LingeringClose` when it first closes.
            try pipeline.addHandlers(http1Handlers(hosts, isSecure: false))
            return
        }
        try pipeline.addHandler(LingeringClose(maximumLinger: TimeAmount(configuration.writeTimeout)))
        // TLS first, and below the HTTP handlers something that turns the files they send
        // with `sendfile` into buffers TLS can encrypt, and something that gathers small
        // writes into full TLS records.
        let promptClose = TLSPromptClose.handlers()
        try pipeline.addHandler(promptClose.socketSide)
        var serverName: NIOLoopBoundBox<String?>?
        if hosts.isByName {
            // The name the client asks for, read from its hello before TLS handles it: a
            // request for a host that certificate does not cover is misdirected (421).
            let box = NIOLoopBoundBox<String?>(nil, eventLoop: channel.eventLoop)
            try pipeline.addHandler(ByteToMessageHandler(SNIHandler { result in
                if case .hostname(let name) = result { box.value = name }
                return box.eventLoop.makeSucceededVoidFuture()
            }))
            serverName = box
        }
        try pipeline.addHandlers(tls.makeHandler(), promptClose.closeRequests, TLSRecordCoalescer(), FileRegionReader())
        guard tls.offersHTTP2 else {
            try pipeline.addHandlers(http1Handlers(hosts, tlsServerName: serverName, isSecure: true))
            return
        }
        // Once the handshake has chosen the protocol: HTTP/2, or HTTP/1.1 for a client that
        // chose it or sent no ALPN (the server offers nothing else).
        let negotiation = ApplicationProtocolNegotiationHandler { result, channel in
            channel.eventLoop.makeCompletedFuture {
                if case .negotiated(ApplicationProtocol.http2.identifier) = result {
                    try addHTTP2Handlers(to: channel, hosts: hosts, tlsServerName: serverName)
                } else {
                    try channel.pipeline.syncOperations.addHandlers(http1Handlers(hosts, tlsServerName: serverName,
                                                                                  isSecure: true))
                }
            }
        }
        try pipeline.addHandlers(TLSHandshakeDeadline(timeout: configuration.readHeaderTimeout), negotiation)
    }

    /// Builds one connection's and one stream's handlers once, before any event loop does:
    /// the Swift runtime instantiates their generic types' metadata on first use, and two
    /// event loops doing that at once for a new generation's first connections crashed it
    /// (twice in about 1,200 successor starts, in `swift_conformsToProtocol`).
    func warmUp(on eventLoop: any EventLoop) {
        guard let first = hosts.first else { return }
        _ = http1Handlers(first, isSecure: false)
        // Each event loop makes its own on its first connection.
        _ = DeadlineQueue<HTTPConnectionHandler>(eventLoop: eventLoop)
        // Added by the monitor on an event loop, when a connection first needs it.
        _ = RequestLineMonitor.decoder(maxHeaderSize: configuration.maxHeaderSize)
        if tls.contains(where: { $0?.offersHTTP2 == true }) {
            let connection = HTTP2ConnectionHandler(configuration: configuration, eventLoop: eventLoop)
            _ = makeHTTP2Handler()
            _ = HTTP2DirectStreams(configuration: configuration, hosts: first, tlsServerName: nil,
                                   inputGate: connection.inputGate, logger: logger)
            _ = http2StreamHandlers(first, tlsServerName: nil, timers: connection.streamTimers)
            _ = TLSHandshakeDeadline(timeout: configuration.readHeaderTimeout)
        }
        if hosts.contains(where: \.isByName) {
            _ = ByteToMessageHandler(SNIHandler { _ in eventLoop.makeSucceededVoidFuture() })
        }
    }

    private func http1Handlers(_ hosts: VirtualHosts, tlsServerName: NIOLoopBoundBox<String?>? = nil,
                               isSecure: Bool) -> [any ChannelHandler] {
        // The monitor adds NIO's decoder behind itself once a request needs it.
        let monitor = RequestLineMonitor(simpleHeadLimit: configuration.maxHeaderSize)
        return [
            monitor,
            // TLS holds writes until its records are made: only a plain connection's reach the socket.
            HTTPConnectionHandler(settings: settings, hosts: hosts, tlsServerName: tlsServerName,
                                  isSecure: isSecure, monitor: monitor, writesReachSocket: !isSecure,
                                  addsLingeringClose: !isSecure),
        ]
    }

    /// Adds the HTTP/2 connection handlers, once ALPN has chosen `h2`: nio-http2 in frame
    /// mode, the connection's handler (drain, GOAWAY, idle), the streams answered without a
    /// stream channel (`HTTP2DirectStreams`), and nio-http2's multiplexer for the others.
    func addHTTP2Handlers(to channel: any Channel, hosts: VirtualHosts,
                          tlsServerName: NIOLoopBoundBox<String?>?) throws {
        // A file cut short under TLS then ends its frame and its stream, not the connection.
        // (No reader where no TLS is: the tests' channels.)
        (try? channel.pipeline.syncOperations.handler(type: FileRegionReader.self))?.carriesHTTP2Frames = true
        (try? channel.pipeline.syncOperations.handler(type: LingeringClose.self))?.clientTalksWhileReading = true
        let connection = HTTP2ConnectionHandler(configuration: configuration, eventLoop: channel.eventLoop)
        let direct = HTTP2DirectStreams(configuration: configuration, hosts: hosts, tlsServerName: tlsServerName,
                                        inputGate: connection.inputGate, logger: logger)
        let multiplexer = makeMultiplexer(for: channel, connection: NIOLoopBound(connection, eventLoop: channel.eventLoop),
                                          hosts: hosts, tlsServerName: tlsServerName)
        try channel.pipeline.syncOperations.addHandlers(connection.inputGate, makeHTTP2Handler(), connection, direct,
                                                        multiplexer)
    }

    /// nio-http2's handler, in frame mode: streams are `HTTP2DirectStreams`' or the multiplexer's.
    private func makeHTTP2Handler() -> NIOHTTP2Handler {
        NIOHTTP2Handler(mode: .server, connectionConfiguration: http2.connection, streamConfiguration: http2.stream)
    }

    /// The multiplexer that gives each stream `HTTP2DirectStreams` passes on a channel of its
    /// own, with the stream handlers.
    private func makeMultiplexer(for channel: any Channel, connection: NIOLoopBound<HTTP2ConnectionHandler>,
                                 hosts: VirtualHosts, tlsServerName: NIOLoopBoundBox<String?>?) -> HTTP2StreamMultiplexer {
        HTTP2StreamMultiplexer(mode: .server, channel: channel, targetWindowSize: http2.stream.targetWindowSize,
                               outboundBufferSizeHighWatermark: http2.stream.outboundBufferSizeHighWatermark,
                               outboundBufferSizeLowWatermark: http2.stream.outboundBufferSizeLowWatermark) { stream in
            // A stream opened after the final GOAWAY is not served, as that GOAWAY says:
            // nio-http2 resets it when it closes.
            let connection = connection.value
            guard !connection.inputGate.isClosed else { return stream.close() }
            do {
                try stream.pipeline.syncOperations.addHandlers(
                    http2StreamHandlers(hosts, tlsServerName: tlsServerName, timers: connection.streamTimers))
            } catch {
                return stream.eventLoop.makeFailedFuture(error)
            }
            // The event loop's one succeeded future: a future made per stream cost each stream
            // about 1,400 instructions (0.7% of a small response's, callgrind).
            return stream.eventLoop.makeSucceededVoidFuture()
        }
    }

    /// A stream's handlers. Its bytes were parsed by nio-http2: no monitor watches them. Its
    /// deadlines go to its connection's `timers`.
    private func http2StreamHandlers(_ hosts: VirtualHosts, tlsServerName: NIOLoopBoundBox<String?>?,
                                     timers: HTTP2StreamTimers) -> [any ChannelHandler] {
        [
            HTTP2StreamAdapter(),
            HTTPConnectionHandler(settings: settings, hosts: hosts, tlsServerName: tlsServerName,
                                  isSecure: true, monitor: nil, writer: HTTP2ResponseWriter.shared, streamTimers: timers),
        ]
    }
}
