import Logging
import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2

/// Answers, at the connection's level and without a stream channel, the HTTP/2 streams
/// whose request is complete in its HEADERS frame (END_STREAM: a GET, a HEAD, ...) and
/// whose answer is known at once: the connection's own errors and redirects, and the
/// built-in handlers that answer on the spot (`ImmediateHTTPHandler`: fixed responses,
/// redirects, static files). A stream channel per stream costs about a third of a small
/// response's instructions (callgrind, Benchmarks/floor.sh). Every other stream (a request
/// with a body, a module, on-the-fly compression, a request expecting `100 Continue`, one
/// nio-http2's checks pass but `HTTP2Messages` refuses) goes on to `HTTP2StreamMultiplexer`
/// unchanged and is served by its stream's `HTTPConnectionHandler`, as are streams opened
/// after the final GOAWAY (which that path refuses). What is answered is decided before any
/// handler is called, so none is called twice.
///
/// Sits between `HTTP2ConnectionHandler` and the multiplexer. The routing, the checks, the
/// amendment, the access log and the metrics are `HTTPConnectionHandler`'s
/// (`ResponseScope`, `RequestHeadCheck`, `ResponseRecord`); on the wire a stream looks as
/// it does from that path: HEADERS, then DATA frames (file regions, which
/// `FileRegionReader` reads below TLS), END_STREAM on the last frame. A stream's frames are
/// this handler's until nio-http2 reports it closed (the multiplexer knows no such stream);
/// its files are closed once its response is written, or failed when the stream is reset. A
/// response that makes no progress for `write_timeout` (a client that never opens its
/// flow-control window) has its stream reset with CANCEL, on one timer for the connection.
final class HTTP2DirectStreams: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    /// A stream answered here, from its HEADERS frame to its close.
    private struct OwnedStream {
        /// When the response must next have made progress; nil once the stream is reset.
        var writeDeadline: NIODeadline?
    }

    /// The pieces a file goes out in, each written one a progress for the write deadline.
    /// nio-http2 completes a piece's write once its DATA frames have left its flow-control
    /// buffer and reached the socket, so the piece tells of this stream alone: other streams
    /// (or PINGs) keeping the connection busy do not keep a stalled one alive. One frame's
    /// worth (16 KiB, the default maximum frame size): a client reading 16 KiB per
    /// `write_timeout` is never cut, and nothing is read from the file before it can go.
    static let fileChunkSize = 16 * 1024

    private let configuration: HTTPServerConfiguration
    private let writeTimeout: TimeAmount
    private var scope: ResponseScope
    /// The name the client asked TLS for (SNI), where the listener's servers are chosen by name.
    private let tlsServerName: NIOLoopBoundBox<String?>?
    /// Closed once the final GOAWAY is decided: streams opened after it go to the multiplexer,
    /// which refuses them.
    private let inputGate: HTTP2InputGate
    private let logger: Logger
    private var owned: [HTTP2StreamID: OwnedStream] = [:]
    /// The streams most recently reset for a file cut short, so that each is reset once though
    /// several of its frames fail (`FileRegionReader` fails every frame past the file's end).
    private var truncatedStreams = CircularBuffer<HTTP2StreamID>(initialCapacity: HTTP2DirectStreams.truncatedStreamsKept)
    private static let truncatedStreamsKept = 16
    /// The newest stream the client opened: a HEADERS frame on a newer one opens a stream (a
    /// client's stream IDs only grow, which nio-http2 enforces); on an older one, it is
    /// trailers, the multiplexer's.
    private var newestStream = HTTP2StreamID.rootStream
    private var timer = EarliestDeadlineTimer()
    private var context: ChannelHandlerContext?
    private var remoteAddress: SocketAddress?
    /// Inside a read: writes are flushed once, when it completes.
    private var isReading = false
    private var needsFlush = false

    /// - Parameters:
    ///   - hosts: the servers of the listener, and how a request picks one.
    ///   - tlsServerName: where the TLS handshake leaves the client's SNI name.
    ///   - inputGate: the connection's (`HTTP2ConnectionHandler.inputGate`).
    init(configuration: HTTPServerConfiguration, hosts: VirtualHosts, tlsServerName: NIOLoopBoundBox<String?>?,
         inputGate: HTTP2InputGate, logger: Logger) {
        self.configuration = configuration
        writeTimeout = TimeAmount(configuration.writeTimeout)
        scope = ResponseScope(hosts: hosts)
        self.tlsServerName = tlsServerName
        self.inputGate = inputGate
        self.logger = logger
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        remoteAddress = context.channel.remoteAddress
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer.cancel()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        remoteAddress = context.channel.remoteAddress
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // nio-http2 fails the writes it still holds, which closes their files.
        timer.cancel()
        owned = [:]
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        isReading = true
        let frame = unwrapInboundIn(data)
        // WINDOW_UPDATE, RST_STREAM, PRIORITY of a stream answered here.
        if owned[frame.streamID] != nil { return }
        guard frame.streamID > newestStream, case .headers(let headers) = frame.payload else {
            context.fireChannelRead(data)
            return
        }
        newestStream = frame.streamID
        guard headers.endStream, !inputGate.isClosed,
              answer(headers.headers, streamID: frame.streamID, context: context) else {
            context.fireChannelRead(data)
            return
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        isReading = false
        flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Every stream's frames pass here, the multiplexer's too. A DATA frame whose file came
        // up short (`TruncatedFileError`, from `FileRegionReader`) has been cut without
        // END_STREAM: its stream is reset, whoever answers it, and by then nio-http2 may
        // count the stream closed (its last frame left its buffer), which no stream channel
        // could reset any more.
        let frame = unwrapOutboundIn(data)
        guard case .data(let payload) = frame.payload, case .fileRegion = payload.data else {
            context.write(data, promise: promise)
            return
        }
        let written = promise ?? context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenFailure { [self] error in
            if error is TruncatedFileError { resetTruncated(frame.streamID, context: context) }
        }
        context.write(data, promise: written)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The events of a stream answered here are of no use to the multiplexer, which knows
        // no such stream: they stop here (the connection's window updates go on).
        switch HTTP2StreamEvent(event) {
        case .closed(let id):
            if owned.removeValue(forKey: id) != nil { return }
        case .created(let id), .windowUpdated(let id):
            if owned[id] != nil { return }
        case .other:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: - Requests

    /// Answers the request complete in `block`, when it needs no stream channel; false (and
    /// no handler called) when it does.
    private func answer(_ block: HPACKHeaders, streamID: HTTP2StreamID, context: ChannelHandlerContext) -> Bool {
        var block = block
        HTTP2RequestAuthority.reconcile(&block)
        // A malformed block is the stream path's to refuse, as it always has.
        guard let head = try? HTTP2Messages.requestHead(block, endStream: true),
              !head.headers.contains(name: "expect") else { return false }
        let now = context.eventLoop.now
        let check = RequestHeadCheck(head, maxBodySize: configuration.maxBodySize)
        let response: HTTPResponse
        if let rejection = check.rejection {
            // An error found before the host is known (or trusted) is the owner's.
            scope.chooseOwner()
            response = .error(rejection)
        } else {
            scope.choose(host: check.host, serverName: tlsServerName?.value)
            switch scope.dispatch(head: ReceivedHead(head), host: check.host, body: nil) {
            case .answer(let own), .malformed(let own):
                response = own
            case .fixed(let route):
                response = route.fixedResponse!
            case .handler(let route, let request):
                guard let handler = route.immediate else { return false }
                response = handler.immediateResponse(
                    to: request, context: HTTPRequestContext(eventLoop: context.eventLoop, serverName: scope.server.name,
                                                             remoteAddress: remoteAddress))
            }
        }
        send(response, on: streamID, for: head, started: now, context: context)
        return true
    }

    // MARK: - Responses

    /// Sends `response` on stream `id`, as `HTTPConnectionHandler` with `HTTP2ResponseWriter`
    /// would: amended, with `Date`, `Server` and `Content-Length`, HEADERS then a DATA frame
    /// per body part (per file chunk), END_STREAM on the last.
    private func send(_ response: HTTPResponse, on id: HTTP2StreamID, for requestHead: HTTPRequestHead,
                      started: NIODeadline, context: ChannelHandlerContext) {
        var response = response
        scope.amendment?.apply(to: &response)
        // Immediate handlers never stream a body (`ImmediateHTTPHandler`).
        assert(response.stream == nil, "an immediate handler streamed its body")
        let framing = ResponseFraming(method: requestHead.method, status: response.status)
        let head = ResponseHeadFields(version: requestHead.version, status: response.status, headers: response.headers,
                                      renderedHeaders: response.renderedHeaders, date: DateHeader.now,
                                      server: configuration.serverHeader,
                                      contentLength: framing.hasLength ? response.bodyCount : nil, connection: nil)
        let block: HPACKHeaders
        do {
            block = try HTTP2Messages.responseBlock(head)
        } catch {
            // A handler's mistake must not reach the wire; the client gets a plain 500, the
            // operator the reason.
            logger.error("\(error); answering 500 instead", metadata: [
                "server": "\(scope.server.name)", "request": "\(requestHead.method.rawValue) \(requestHead.uri)"])
            response.discardBody()
            send(.error(.internalServerError), on: id, for: requestHead, started: started, context: context)
            return
        }
        let body = framing.sendsBody ? response.body : []
        let writes = HTTPResponse.writes(of: body, fileChunkSize: Self.fileChunkSize)
        let now = context.eventLoop.now
        // Before anything is written: nio-http2 may report the stream closed from inside the
        // write of its last frame. Its close ends the deadline.
        owned[id] = OwnedStream(writeDeadline: now + writeTimeout)
        timer.arm(at: now + writeTimeout, on: context.eventLoop, owner: self)
        let handles = response.fileHandles
        // Files are closed once written, or failed: nio-http2 fails the writes of a stream
        // reset before they went out. A response without files needs no word of its end.
        let done = handles.isEmpty ? nil : context.eventLoop.makePromise(of: Void.self)
        write(.headers(.init(headers: block, endStream: writes.isEmpty)), on: id, promise: writes.isEmpty ? done : nil,
              context: context)
        // Recorded once the body's files are written (or not), as the bytes that went.
        let record = scope.record(remoteAddress: remoteAddress, isSecure: true, requestHead: ReceivedHead(requestHead),
                                  status: Int(response.status.code), duration: Duration(now - started))
        let bodyBytes = framing.sendsBody ? response.bodyCount : 0
        if done == nil && writes.count <= HTTP2BodyPieces.inFlight {
            // A small body of bytes (the common answer): nothing to wait for or count.
            for (index, piece) in writes.enumerated() {
                write(.data(.init(data: piece.data, endStream: index == writes.count - 1)), on: id, promise: nil,
                      context: context)
            }
            record?.record(bodyBytes: bodyBytes)
        } else {
            // The body bytes really sent, as nginx counts them: a response cut short counts
            // the file pieces written before the cut, and what of the file the cut one
            // carried (not the bytes between the pieces: a multipart range's part heads).
            var sent = 0
            // Said once, whether the probe or a write (`write(context:data:promise:)`) finds it.
            var reported = false
            let truncated = { [self] in
                guard !reported else { return }
                reported = true
                logger.warning("file truncated while being sent; resetting the stream", metadata: [
                    "server": "\(scope.server.name)", "request": "\(requestHead.method.rawValue) \(requestHead.uri)"])
                resetTruncated(id, context: context)
            }
            let pieces = HTTP2BodyPieces(writes, eventLoop: context.eventLoop, done: done, write: { [self] piece, last, promise in
                write(.data(.init(data: piece, endStream: last)), on: id, promise: promise, context: context)
            }, flush: { context.flush() }, pieceWritten: { [self] result, fileBytes in
                switch result {
                case .success:
                    // A piece written is progress: the deadline moves.
                    owned[id]?.writeDeadline = context.eventLoop.now + writeTimeout
                    sent += fileBytes
                case .failure(let error as TruncatedFileError):
                    sent += error.bytesSent
                    truncated()
                case .failure:
                    break
                }
            })
            pieces.start()
            if let done {
                // Nil for a body with little file in it.
                let probe = TruncationProbe(body: body)
                probe?.start(on: context.eventLoop, truncated: truncated)
                done.futureResult.assumeIsolated().whenComplete { result in
                    probe?.stop()
                    for handle in handles { try? handle.close() }
                    if case .success = result { sent = bodyBytes }
                    record?.record(bodyBytes: sent)
                }
            } else {
                record?.record(bodyBytes: bodyBytes)
            }
        }
        needsFlush = true
        if !isReading { flushIfNeeded(context: context) }
    }

    private func write(_ payload: HTTP2Frame.FramePayload, on id: HTTP2StreamID, promise: EventLoopPromise<Void>?,
                       context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: payload)), promise: promise)
    }

    /// Ends stream `id` unfinished (CANCEL), as the stream path does when it closes a stream
    /// mid-response; nio-http2 drops and fails what it still holds of the response.
    private func reset(_ id: HTTP2StreamID, context: ChannelHandlerContext) {
        guard owned[id] != nil else { return }
        owned[id]?.writeDeadline = nil
        write(.rstStream(.cancel), on: id, promise: nil, context: context)
        context.flush()
    }

    /// Ends stream `id`, whose response's file was cut short, with INTERNAL_ERROR: the server
    /// failed it, not the client. nio-http2 sends it even for a stream it counts closed (its
    /// last frame, now cut without END_STREAM, left its buffer). Once per stream.
    private func resetTruncated(_ id: HTTP2StreamID, context: ChannelHandlerContext) {
        guard !truncatedStreams.contains(id) else { return }
        if truncatedStreams.count == Self.truncatedStreamsKept { truncatedStreams.removeFirst() }
        truncatedStreams.append(id)
        owned[id]?.writeDeadline = nil
        write(.rstStream(.internalError), on: id, promise: nil, context: context)
        context.flush()
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        guard needsFlush else { return }
        needsFlush = false
        context.flush()
    }
}

extension HTTP2DirectStreams: DeadlineOwner {
    func deadlinePassed() {
        timer.fired()
        guard let context else { return }
        let now = context.eventLoop.now
        let due = owned.compactMap { id, stream in stream.writeDeadline.map { $0 <= now ? id : nil } ?? nil }
        for id in due {
            logger.debug("response made no progress within write_timeout; resetting the stream",
                         metadata: ["stream": "\(id)"])
            reset(id, context: context)
        }
        if let next = owned.values.lazy.compactMap(\.writeDeadline).min() {
            timer.arm(at: next, on: context.eventLoop, owner: self)
        }
    }
}

@available(*, unavailable)
extension HTTP2DirectStreams: Sendable {}
