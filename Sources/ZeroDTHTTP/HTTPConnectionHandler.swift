#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// Serves HTTP/1.1 on one connection, or one HTTP/2 stream: routing, keep-alive,
/// pipelining, limits, timeouts and the drain. The rules live in
/// `HTTPConnectionStateMachine`; this class carries out its actions and does the I/O. What
/// it writes takes its protocol's form in `writer` (`HTTP1ResponseWriter` by default).
final class HTTPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = IOData

    /// The write buffer marks of a channel whose writes reach the socket: it turns
    /// unwritable when a write leaves more than a byte to send, and writable again once
    /// every byte is sent, so that its writability says whether anything is unwritten
    /// (`confirmWrites`). Nothing else on such a pipeline acts on writability
    /// (`LingeringClose` counts the bytes instead).
    static let confirmingWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 1, high: 1)

    /// Files larger than this go out in several `sendfile` writes, so that a slow but
    /// progressing reader keeps resetting the write timeout.
    private static let fileChunkSize = 1 << 20

    /// The name the client asked TLS for (SNI), once the handshake has seen it; nil for
    /// plain HTTP and where the listener's servers are not chosen by name.
    private let tlsServerName: NIOLoopBoundBox<String?>?
    /// Nil on an HTTP/2 stream, whose bytes nio-http2 has parsed: it has no request line.
    private let monitor: RequestLineMonitor?
    private let writer: any ResponseWriter

    private var machine: HTTPConnectionStateMachine
    /// Between `handlerAdded` and `handlerRemoved`: for the monitor's and the timer's calls.
    private var channelContext: ChannelHandlerContext?
    /// On an HTTP/2 stream: where its deadlines go, in place of `deadlines`.
    private let streamTimers: HTTP2StreamTimers?
    /// Its event loop's queue of connection deadlines, from `handlerAdded` on (not on an
    /// HTTP/2 stream).
    private var deadlines: DeadlineQueue<HTTPConnectionHandler>?
    /// Its place in `deadlines`.
    var deadlineSlot = DeadlineQueue<HTTPConnectionHandler>.notQueued
    /// The deadline of its place in `deadlines`.
    var queuedDeadline = NIODeadline.uptimeNanoseconds(0)
    /// Its event loop's `Date`, from `handlerAdded` on (taken there, on the loop's thread,
    /// as the cache belongs to the thread): every response is written after it.
    private var date: DateHeader.Cache!
    private var request: PendingRequest?
    private var remoteAddress: SocketAddress?
    /// Input that arrived while too much was unanswered (`isBackedUp`), in order. Errors and
    /// the half-close wait their turn too: every request received before them is answered.
    /// Rarely used: made when first needed (even an empty one holds storage, which idle
    /// connections would keep), and behind a reference (8 bytes where the buffer's own
    /// fields inline were 25).
    private var queued: ConnectionInput.Queue?
    private var hasQueued: Bool { queued.map { !$0.inputs.isEmpty } ?? false }
    /// The bytes of the streamed body written so far, for the access log and metrics.
    private var streamedBytes = 0
    private var lastWrite: EventLoopFuture<Void>?
    /// Responses written in one write without a promise (`writesReachSocket`), to be
    /// confirmed as written at the next flush.
    private var unconfirmedResponses = 0
    /// The truncation probes of file responses written since the last flush, armed by the
    /// next (`flushIfNeeded`), which sends them.
    private var probesAwaitingFlush = TruncationProbe.AwaitingFlush()
    /// The server, route, amendment and metrics the current request's response goes under.
    private var scope: ResponseScope

    // The flags come last, together: stored properties are laid out in order, and each flag
    // between two 8-byte fields took 8 bytes of every connection, idle or not.
    private let isSecure: Bool
    private var awaitingDeferredResponse = false
    /// A streamed body is being sent: later responses wait for its end, so that their bytes
    /// do not mix with its pieces.
    private var isStreaming = false
    private var readPending = false
    private var needsFlush = false
    /// Whether the socket takes this handler's writes as they are, no handler in between
    /// holding them back (plain HTTP/1; not TLS, not an HTTP/2 stream): then the channel's
    /// buffered bytes tell when they are written (`confirmWrites`).
    private let writesReachSocket: Bool
    /// Shutting down after an error: reading only to discard.
    private var lingering = false
    /// A plain connection's pipeline gets its `LingeringClose` only once the handler decides
    /// to close (`addLingeringCloseIfNeeded`): most connections end by the client's close,
    /// which needs none, and its handler and context were about 150 bytes of every idle
    /// connection.
    private var addsLingeringClose: Bool
    private var amendment: ResponseAmendment? { scope.amendment }
    private var logger: Logger { machine.settings.logger }

    /// - Parameters:
    ///   - settings: the server's timeouts and limits, shared by its connections.
    ///   - hosts: the servers of the listener, and how a request picks one.
    ///   - tlsServerName: where the TLS handshake leaves the client's SNI name.
    ///   - isSecure: whether the connection is HTTPS (for the access log).
    ///   - monitor: what watches the connection's bytes; nil for an HTTP/2 stream.
    ///   - writer: how responses go on the wire.
    ///   - streamTimers: the timers of the HTTP/2 connection whose stream this is.
    ///   - writesReachSocket: whether nothing between this handler and the socket holds
    ///     writes back, so that a response written in one write needs no promise: the
    ///     channel's buffered bytes after the flush say whether it is out.
    ///   - addsLingeringClose: whether the pipeline has no `LingeringClose` yet: the handler
    ///     adds one at the socket end before it first closes the connection.
    init(settings: HTTPConnectionStateMachine.Settings, hosts: VirtualHosts,
         tlsServerName: NIOLoopBoundBox<String?>? = nil, isSecure: Bool = false, monitor: RequestLineMonitor?,
         writer: any ResponseWriter = HTTP1ResponseWriter.shared, streamTimers: HTTP2StreamTimers? = nil,
         writesReachSocket: Bool = false, addsLingeringClose: Bool = false) {
        // Writes that reach the socket as they are, HTTP/1's own bytes (`sendKeptMessage`).
        precondition(!writesReachSocket || writer === HTTP1ResponseWriter.shared,
                     "only plain HTTP/1 writes reach the socket as they are")
        self.streamTimers = streamTimers
        self.addsLingeringClose = addsLingeringClose
        self.writesReachSocket = writesReachSocket
        self.writer = writer
        self.tlsServerName = tlsServerName
        self.isSecure = isSecure
        self.monitor = monitor
        self.scope = ResponseScope(hosts: hosts)
        self.machine = HTTPConnectionStateMachine(settings: settings, now: .now())
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        channelContext = context
        remoteAddress = context.channel.remoteAddress
        // All times come from the event loop's clock, which tests can advance.
        machine = HTTPConnectionStateMachine(settings: machine.settings, now: context.eventLoop.now)
        monitor?.delegate = self
        date = DateHeader.current
        if streamTimers == nil { deadlines = Self.deadlineQueue(on: context.eventLoop) }
        if writesReachSocket {
            // Writable then means nothing is unwritten (`confirmWrites`). Should the option be
            // refused, a channel that stays writable confirms at once, as an empty buffer would.
            try? context.channel.syncOptions?.setOption(.writeBufferWaterMark, value: Self.confirmingWaterMark)
        }
        if context.channel.isActive { armTimer(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        channelContext = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        remoteAddress = context.channel.remoteAddress
        armTimer(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.closed()
        monitor?.delegate = nil
        streamTimers?.remove(self)
        deadlines?.remove(self)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        handle(.part(unwrapInboundIn(data)), context: context)
    }

    /// Handles `input` now, or queues it behind what is still unanswered.
    private func handle(_ input: ConnectionInput, context: ChannelHandlerContext) {
        if isBackedUp || hasQueued {
            if queued == nil { queued = ConnectionInput.Queue() }
            queued!.inputs.append(input)
            // Get the responses already issued moving, so that the queue can drain.
            flushIfNeeded(context: context)
            return
        }
        process(input, context: context)
    }

    private func process(_ input: ConnectionInput, context: ChannelHandlerContext) {
        switch input {
        case .part(let part): process(part, context: context)
        case .simpleHead(let head):
            guard !machine.isClosed else { return }
            request = received(ReceivedHead(head), check: RequestHeadCheck(head), context: context)
                .map(PendingRequest.init)
        case .refusedHead(let status, let requestLine): reject(status, requestLine: requestLine, context: context)
        case .inputClosed: processInputClosed(context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        // No more reading while responses are still being written: a client that pipelines
        // requests and never reads the answers must not make the server open file after
        // file for it.
        if !lingering && (awaitingDeferredResponse || hasQueued || machine.hasWritesInFlight) {
            readPending = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            perform(machine.drainStarted(now: context.eventLoop.now), context: context)
            armTimer(context: context)
        case ChannelEvent.inputClosed:
            if lingering {
                close(context: context)
                return
            }
            handle(.inputClosed, context: context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A decoder that stopped at an error drops what comes after it, and says so: the
        // error it stopped at is answered, after every request before it, and then the
        // connection closes. Closing here cut those answers short.
        if let decoderError = error as? ByteToMessageDecoderError, case .dataReceivedInErrorState = decoderError {
            return
        }
        guard let parserError = error as? HTTPParserError, let monitor, !machine.isClosed else {
            close(context: context)
            return
        }
        let status = monitor.status(for: parserError, maxHeaderSize: machine.settings.configuration.maxHeaderSize)
        handle(.refusedHead(status, requestLine: monitor.partialRequestHead), context: context)
    }

    /// The client half-closed: answer what it sent, then close.
    private func processInputClosed(context: ChannelHandlerContext) {
        machine.inputClosed()
        if request == nil && !awaitingDeferredResponse {
            perform(.closeWhenWritten, context: context)
        }
    }

    /// The decoder gave up on the stream: answer with an error and close.
    private func reject(_ status: HTTPResponseStatus, requestLine: HTTPRequestHead, context: ChannelHandlerContext) {
        guard !machine.isClosed else { return }
        machine.protocolError()
        // What the log shows: the head when it was decoded, else the request line as far as
        // it came.
        let head = request?.request.head ?? ReceivedHead(requestLine)
        if request == nil { chooseOwner() }
        request = nil
        write(.error(status), for: head, started: context.eventLoop.now, context: context)
        flushIfNeeded(context: context)
    }

    // MARK: - Requests

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        guard !machine.isClosed else { return }
        switch part {
        case .head(let decoded):
            // Read without the whitespace llhttp leaves after a field value (RFC 9112 §5), as the
            // fast path reads them.
            let head = ReceivedHead(decodedHTTP1: decoded)
            let check = RequestHeadCheck(head.head, maxBodySize: machine.settings.configuration.maxBodySize)
            request = received(head, check: check, context: context).map(PendingRequest.init)
        case .body(var chunk):
            guard let pending = request else { return }
            machine.bodyReceived(now: context.eventLoop.now)
            guard pending.request.failure == nil else { return }
            let total = (pending.request.body?.readableBytes ?? 0) + chunk.readableBytes
            if total > machine.settings.configuration.maxBodySize {
                machine.protocolError()
                request = nil
                write(.error(.payloadTooLarge), for: pending.request.head, started: pending.request.started,
                      context: context)
                return
            }
            // Appended in place: the request is this handler's alone, so its buffer is not copied.
            if pending.request.body == nil {
                pending.request.body = chunk
            } else {
                pending.request.body!.writeBuffer(&chunk)
            }
        case .end:
            guard let pending = request.take() else { return }
            ended(pending.request, context: context)
        }
    }

    /// Starts the request with `head`, which `check` judged; nil when it was refused at once.
    /// Taken, not borrowed (`consuming`), as is the request it returns: it goes into the
    /// request, not a copy of it.
    private func received(_ head: consuming ReceivedHead, check: borrowing RequestHeadCheck,
                          context: ChannelHandlerContext) -> ReceivedRequest? {
        let now = context.eventLoop.now
        let request = ReceivedRequest(head: head, started: now, host: check.host, failure: check.rejection)
        // The decoder's heads carry llhttp's answer, which other fields (`Proxy-Connection`)
        // can change; the fast path's found NIO's as it parsed.
        machine.requestHead(keepAlive: request.head.isKeepAlive && !check.closesConnection, now: now)
        // An error found before the host is known (or trusted) is the owner's: the
        // listener's fallback server answers and logs it.
        if check.rejection == nil { choose(host: check.host) } else { chooseOwner() }
        if let failure = check.rejection, check.rejectsBeforeBody {
            // Refuse before the body is read; the connection closes after the answer.
            machine.protocolError()
            write(.error(failure), for: request.head, started: now, context: context)
            return nil
        }
        // HTTP/1.0 clients know no interim responses; HTTP/1.1 and HTTP/2 ones do.
        let version = request.head.version
        if request.failure == nil, check.expectsContinue, version == .http1_1 || version.major == 2 {
            writer.writeInterim(.continue, version: version, context: context)
            needsFlush = true
        }
        return request
    }

    /// The whole request is in: answers it.
    private func ended(_ request: consuming ReceivedRequest, context: ChannelHandlerContext) {
        machine.requestEnd()
        if let monitor, monitor.decoderMayRead, request.head.stopsDecoder {
            // The requests the stopped decoder held come through outside a read: their
            // answers are flushed once it is gone.
            let removed = context.eventLoop.makePromise(of: Void.self)
            monitor.replaceStoppedDecoder(maxHeaderSize: machine.settings.configuration.maxHeaderSize,
                                          pipeline: context.pipeline.syncOperations, removed: removed)
            removed.futureResult.assumeIsolated().whenSuccess { [self] in flushIfNeeded(context: context) }
        }
        dispatch(request, context: context)
    }

    /// Picks the server for a request for `host` (``RequestHeadCheck/host``).
    private func choose(host: RequestHostName?) {
        scope.choose(host: host, serverName: tlsServerName?.value)
    }

    /// Gives the current answer to the listener's owner (``ResponseScope/chooseOwner()``).
    private func chooseOwner() {
        scope.chooseOwner()
    }

    /// The server whose name and log the current request's response goes under.
    private var server: VirtualServer { scope.server }

    private func dispatch(_ request: consuming ReceivedRequest, context: ChannelHandlerContext) {
        if let failure = request.failure {
            write(.error(failure), for: request.head, started: request.started, context: context)
            return
        }
        switch scope.dispatch(head: request.head, host: request.host, body: request.body) {
        case .answer(let response):
            write(response, for: request.head, started: request.started, context: context)
        case .fixed(let route):
            if !sendKeptMessage(route.fixedMessage!, for: request.head, started: request.started, context: context) {
                write(route.fixedResponse!, for: request.head, started: request.started, context: context)
            }
        case .malformed(let response):
            machine.protocolError()
            write(response, for: request.head, started: request.started, context: context)
        case .handler(let route, let handlerRequest):
            let handlerContext = HTTPRequestContext(eventLoop: context.eventLoop, serverName: server.name,
                                                    remoteAddress: remoteAddress)
            switch route.handler.respond(to: handlerRequest, context: handlerContext) {
            case .response(let response):
                write(response, for: request.head, started: request.started, context: context)
            case .deferred(let future):
                awaitDeferred(future, request: request, context: context)
            }
        }
    }

    private func awaitDeferred(_ future: EventLoopFuture<HTTPResponse>, request: ReceivedRequest,
                               context: ChannelHandlerContext) {
        awaitingDeferredResponse = true
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let (head, started) = (request.head, request.started)
        future.hop(to: context.eventLoop).whenComplete { result in
            let (handler, context) = loopBound.value
            handler.awaitingDeferredResponse = false
            let response = (try? result.get()) ?? .error(.internalServerError)
            handler.write(response, for: head, started: started, context: context)
            handler.flushIfNeeded(context: context)
            handler.resumeQueued(context: context)
        }
    }

    /// Replays parts that arrived during a deferred response, then lets reads continue.
    private func resumeQueued(context: ChannelHandlerContext) {
        while !isBackedUp, let input = queued?.inputs.popFirst() {
            process(input, context: context)
        }
        flushIfNeeded(context: context)
        if readPending && !awaitingDeferredResponse && !hasQueued && !machine.hasWritesInFlight {
            readPending = false
            context.read()
        }
    }

    /// Too much is unanswered to take on another request now: a deferred response is
    /// pending, a streamed body is being sent, or `maxResponsesInFlight` responses are still
    /// being written.
    private var isBackedUp: Bool {
        awaitingDeferredResponse || isStreaming || machine.writesInFlight >= Self.maxResponsesInFlight
    }

    /// Pipelined requests answered before the writes of earlier answers have finished.
    private static let maxResponsesInFlight = 16

    // MARK: - Responses

    /// Taken, not borrowed (`consuming`): amended in place, without a copy of every field.
    private func write(_ response: consuming HTTPResponse, for requestHead: borrowing ReceivedHead, started: NIODeadline,
                       context: ChannelHandlerContext) {
        guard !machine.isClosed else {
            response.discardBody()
            return
        }
        // The one place every response passes: handlers' answers and the connection's own
        // errors alike get the configured headers and error pages.
        amendment?.apply(to: &response)
        // Read once: each read of the field copied the existential out, and destroyed it.
        let stream = response.stream
        let now = context.eventLoop.now
        let status = response.status.code
        let framing = ResponseFraming(method: requestHead.method, status: response.status)
        let (sendsBody, hasLength) = (framing.sendsBody, framing.hasLength)
        // A stream is sent as it comes; HEAD gets its headers without a byte of it made.
        let isStreamed = hasLength && stream != nil
        let pumpsStream = isStreamed && sendsBody
        if pumpsStream && requestHead.version.major == 1 && requestHead.version.minor == 0 {
            machine.bodyEndsWithConnection()
        }
        let connection = ResponseHead.connection(closing: machine.closeAfterResponse, version: requestHead.version)
        // A small in-memory body goes out in the same buffer as the head: one write, one segment.
        let inline = sendsBody ? response.inlineBody : nil
        let head = ResponseHeadFields(version: requestHead.version, status: response.status, headers: response.headers,
                                      renderedHeaders: response.renderedHeaders, date: date.now,
                                      server: machine.settings.configuration.serverHeader,
                                      contentLength: hasLength && !isStreamed ? response.bodyCount : nil,
                                      connection: connection, isStreamed: isStreamed,
                                      fixedMessage: response.fixedMessage)
        let streamsBody = inline == nil && sendsBody && !response.body.isEmpty
        let endsWithHead = !streamsBody && !pumpsStream
        // A response with no file to close or watch after it needs no promise where the flush
        // tells whether it is out (`confirmWrites`): a promise and its callback cost about a
        // tenth of a small response's instructions. So a body of bytes too large to copy
        // behind the head follows it as its own buffers, as cheaply as one that shares it.
        // Found once: the list is an array made per response that has files.
        let handles = response.fileHandles
        let done = !pumpsStream && writesReachSocket && handles.isEmpty
            ? nil : context.eventLoop.makePromise(of: Void.self)
        do {
            try writer.writeHead(head, body: inline, endsResponse: endsWithHead, context: context,
                                 promise: endsWithHead ? done : nil)
        } catch {
            // A handler's mistake must not reach the wire (response splitting); the client
            // gets a plain 500, the operator the reason.
            logger.error("\(error); answering 500 instead", metadata: logMetadata(RequestLine(requestHead)))
            response.discardBody()
            // Nothing was written: the promise has no write to complete it.
            done?.succeed()
            write(.error(.internalServerError), for: requestHead, started: started, context: context)
            return
        }
        let corked = streamsBody && writeBody(response.body, context: context, lastWrite: done)
        if let done {
            awaitWritten(done, of: response, handles: handles, probed: streamsBody, uncorks: corked,
                         for: RequestLine(requestHead), context: context)
        } else {
            unconfirmedResponses += 1
        }
        if !pumpsStream { stream?.close() }
        let record = issued(status: status, for: requestHead, started: started, now: now, context: context)
        // One confirmed at the flush that follows in this turn of the loop (`confirmWrites`)
        // sets the timer there, before any deadline can fall due: setting it twice cost a
        // small response about 300 instructions more.
        if done != nil { armTimer(context: context) }
        guard pumpsStream, let stream, let done else {
            record?.record(bodyBytes: sendsBody ? response.bodyCount : 0)
            return
        }
        isStreaming = true
        streamedBytes = 0
        // Recorded at the end, as it was taken now: the next request may choose another route.
        done.futureResult.assumeIsolated().whenComplete { [self] _ in
            isStreaming = false
            record?.record(bodyBytes: streamedBytes)
        }
        sendPiece(of: stream, head: head, context: context, done: done)
    }

    /// Sends a fixed response as the whole message it last went out as (``FixedMessage``),
    /// when that message still fits this request and connection: the response is not made,
    /// nor its head, which was most of a fixed response's cost. False where it does not fit
    /// (a new second, another version or `Connection`, a write that needs a promise, an
    /// amendment to apply, no message kept yet): `write` then makes the response.
    private func sendKeptMessage(_ fixed: FixedMessage, for requestHead: borrowing ReceivedHead, started: NIODeadline,
                                 context: ChannelHandlerContext) -> Bool {
        guard writesReachSocket, amendment == nil, !machine.isClosed else { return false }
        let sendsBody = ResponseFraming(method: requestHead.method, status: fixed.status).sendsBody
        guard fixed.holdsWholeBody || !sendsBody,
              let message = fixed.message(date: date.now, server: machine.settings.configuration.serverHeader,
                                          connection: ResponseHead.connection(closing: machine.closeAfterResponse,
                                                                              version: requestHead.version),
                                          minorVersion: requestHead.version.minor,
                                          carriesBody: sendsBody && fixed.inlinesBody) else { return false }
        // Confirmed by the flush, as `write` does for a response of bytes.
        context.write(NIOAny(IOData.byteBuffer(message)), promise: nil)
        unconfirmedResponses += 1
        let record = issued(status: fixed.status.code, for: requestHead, started: started,
                            now: context.eventLoop.now, context: context)
        record?.record(bodyBytes: sendsBody ? fixed.bodyCount : 0)
        return true
    }

    /// What follows every response's writes: the flush they need, the state machine's turn,
    /// and the record of it, for what records it (nil when nothing does).
    private func issued(status: UInt, for requestHead: borrowing ReceivedHead, started: NIODeadline, now: NIODeadline,
                        context: ChannelHandlerContext) -> ResponseRecord? {
        needsFlush = true
        perform(machine.responseIssued(now: now), context: context)
        // Taken only where something records it: copying what a record holds costs more
        // than the rest of a small response's bookkeeping.
        return scope.record(remoteAddress: remoteAddress, isSecure: isSecure, requestHead: requestHead,
                            status: Int(status), duration: Duration(now - started))
    }

    /// Waits for `done`, the last write of `response` to `request`, then closes its files
    /// (`handles`) and reports it written. `probed`: its body's files are watched for
    /// truncation meanwhile, from the flush that sends it on. `uncorks`: its writes held
    /// partial segments back (`writeBody`), which its end sends.
    private func awaitWritten(_ done: EventLoopPromise<Void>, of response: HTTPResponse, handles: [NIOFileHandle],
                              probed: Bool, uncorks: Bool, for request: RequestLine, context: ChannelHandlerContext) {
        lastWrite = done.futureResult
        // Files are never inlined: a body that went with the head needs no probe.
        let probe = probed ? TruncationProbe(body: response.body) : nil
        if let probe {
            probesAwaitingFlush.add(probe) { [self] in fileTruncated(for: request, context: context) }
        }
        // Completes on this event loop: isolated callbacks need no boxing, which matters
        // once per response. One callback does all: a second on the same future cost a file
        // response about 2,000 instructions (NIO keeps further callbacks in a buffer of their own).
        done.futureResult.assumeIsolated().whenComplete { [self] result in
            // Not kept by an idle connection: a close waits for no write then.
            if lastWrite === done.futureResult { lastWrite = nil }
            // Found by a read below TLS (`FileRegionReader`) before the probe saw it.
            if case .failure(let error) = result, error is TruncatedFileError, probe?.isStopped != true {
                fileTruncated(for: request, context: context)
            }
            probe?.stop()
            for handle in handles { try? handle.close() }
            // The tail segment goes only now, after the files are closed (as nginx orders
            // them): a client that has the whole response finds none of them still open.
            if uncorks { writer.coalesceSegments(false, context: context) }
            responseWritten(context: context)
        }
    }

    /// A file of the response to `request` shrank under it: the response can never be
    /// completed, and the client must see that it was cut (`ResponseWriter.abandonResponse`).
    private func fileTruncated(for request: RequestLine, context: ChannelHandlerContext) {
        logger.warning("file truncated while being sent; \(writer.abandonment)", metadata: logMetadata(request))
        writer.abandonResponse(context: context)
    }

    /// A response's last write is done (or failed: the connection is closing).
    private func responseWritten(context: ChannelHandlerContext) {
        machine.writeProgressed(now: context.eventLoop.now, responseFinished: true)
        // The read deadlines restart with the last write's end, maybe sooner than the
        // timer is set for (`readHeaderTimeout` for a head waiting behind the response).
        armTimer(context: context)
        if readPending || hasQueued {
            // Not from inside the write's completion: resuming may write again.
            context.eventLoop.assumeIsolated().execute { [self] in resumeQueued(context: context) }
        }
    }

    /// Sends the next piece of a streamed body, and the one after it once that is written:
    /// one piece in flight, so a slow client holds one piece of memory and stops the
    /// production, while each written piece counts as progress for the write deadline. The
    /// piece is made off the event loop (`nextPiece(on:)`), so that the loop's other
    /// connections are served meanwhile. The stream's end (or failure, or the connection's close)
    /// completes `done`; the stream is closed in every case.
    private func sendPiece(of stream: any ResponseBodyStream, head: ResponseHeadFields, context: ChannelHandlerContext,
                           done: EventLoopPromise<Void>) {
        guard context.channel.isActive else {
            stream.close()
            done.fail(ChannelError.ioOnClosedChannel)
            return
        }
        stream.nextPiece(on: context.eventLoop)
            .assumeIsolated().whenComplete { [self] result in
                switch result {
                case .success(let piece):
                    send(piece, of: stream, head: head, context: context, done: done)
                case .failure(let error):
                    // The head promised a body that cannot be completed: end the response
                    // unfinished (no last chunk, or a reset HTTP/2 stream), so that the
                    // client sees it is cut.
                    logger.warning("response body failed: \(error); closing the connection", metadata: [
                        "server": "\(server.name)", "status": "\(head.status.code)"])
                    stream.close()
                    done.fail(error)
                    close(context: context)
                }
            }
    }

    /// Writes `piece` (nil: the end of the body), and asks for the next one once it is written.
    private func send(_ piece: ByteBuffer?, of stream: any ResponseBodyStream, head: ResponseHeadFields,
                      context: ChannelHandlerContext, done: EventLoopPromise<Void>) {
        guard context.channel.isActive else {
            stream.close()
            done.fail(ChannelError.ioOnClosedChannel)
            return
        }
        guard let piece else {
            stream.close()
            writer.writeStreamEnd(head: head, context: context, promise: done)
            context.flush()
            return
        }
        guard piece.readableBytes > 0 else {
            sendPiece(of: stream, head: head, context: context, done: done)
            return
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        writer.writeStreamed(piece, head: head, context: context, promise: written)
        context.flush()
        written.futureResult.assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success:
                streamedBytes += piece.readableBytes
                machine.writeProgressed(now: context.eventLoop.now, responseFinished: false)
                sendPiece(of: stream, head: head, context: context, done: done)
            case .failure(let error):
                stream.close()
                done.fail(error)
            }
        }
    }

    /// Writes the body parts; the last write completes `lastWrite` (nil for a body of bytes
    /// confirmed by the flush, `confirmWrites`), and each file chunk before it reports
    /// progress to the write deadline. Returns whether it held partial segments back for
    /// a body with a file (`SegmentCoalescing`), which `lastWrite`'s completion must undo.
    private func writeBody(_ parts: [HTTPResponse.BodyPart], context: ChannelHandlerContext,
                           lastWrite: EventLoopPromise<Void>?) -> Bool {
        let writes = HTTPResponse.writes(of: parts, fileChunkSize: Self.fileChunkSize)
        let corks = lastWrite != nil && writes.contains(where: \.isFileRegion)
        if corks {
            writer.coalesceSegments(true, context: context)
        }
        for (index, write) in writes.enumerated() {
            var promise: EventLoopPromise<Void>?
            if index == writes.count - 1 {
                promise = lastWrite
            } else if write.isFileChunk {
                promise = context.eventLoop.makePromise(of: Void.self)
                promise!.futureResult.assumeIsolated().whenSuccess { [self] in
                    machine.writeProgressed(now: context.eventLoop.now, responseFinished: false)
                }
            }
            writer.writeBody(write.data, endsResponse: index == writes.count - 1, context: context, promise: promise)
        }
        return corks
    }

    private func logMetadata(_ request: RequestLine) -> Logger.Metadata {
        ["server": "\(server.name)", "request": "\(request.method.rawValue) \(request.uri)"]
    }

    /// What a log line says of a request. The closures that wait for a file response's end
    /// keep this, not the whole head: copying the head into them, and destroying the copies,
    /// cost a 1 MiB file response about 370 instructions (callgrind).
    private struct RequestLine {
        let method: HTTPMethod
        let uri: String

        init(_ head: borrowing ReceivedHead) {
            (method, uri) = (head.method, head.uri)
        }
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        guard needsFlush else { return }
        needsFlush = false
        context.flush()
        // Every response sets `needsFlush`: this is the flush that sends those written since
        // the last, and it has stopped the probes of those it wrote whole.
        probesAwaitingFlush.armAll(on: context.eventLoop)
        confirmWrites(context: context)
    }

    /// Reports the responses written without a promise (`writesReachSocket`) written, once a
    /// flush has handed them to the socket: at once when the socket took every byte, as it
    /// does a small answer nearly always; else when an empty write queued behind them
    /// completes, which is when they are out. A closed channel has nothing more to write:
    /// they count as done, as a failed write's promise would have.
    private func confirmWrites(context: ChannelHandlerContext) {
        guard unconfirmedResponses > 0 else { return }
        let count = unconfirmedResponses
        unconfirmedResponses = 0
        // The channel's high-water mark is a byte (`confirmingWaterMark`): after the flush it
        // is writable exactly when nothing is left unwritten. (Its buffered bytes said the
        // same, but the option's lookup cost about 1,900 instructions a flush: a dynamic cast
        // per option NIO knows, and the metadata of its generic channel and option types.)
        guard !context.channel.isWritable else {
            for _ in 0..<count { responseWritten(context: context) }
            return
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.write(NIOAny(IOData.byteBuffer(ByteBuffer())), promise: written)
        context.flush()
        lastWrite = written.futureResult
        // The write deadline, which `write` left to this flush.
        armTimer(context: context)
        written.futureResult.assumeIsolated().whenComplete { [self] _ in
            if lastWrite === written.futureResult { lastWrite = nil }
            for _ in 0..<count { responseWritten(context: context) }
        }
    }

    // MARK: - Actions and timer

    private func perform(_ action: HTTPConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .close:
            close(context: context)
        case .closeIdleUnlessInputWaiting:
            // A request read while a streamed body was being sent waits in `queued`.
            if hasQueued || Self.hasUnreadInput(context.channel) {
                // The client's next request reached the socket after NIO last polled it: a
                // timer that fell due runs before the next poll, so on a busy loop a request
                // can sit unread while the drain grace runs out. Closing now would reset the
                // connection on a request the server holds; it is read next and answered
                // with `Connection: close`, within the `read_header` deadline.
                machine.bytesReceived(now: context.eventLoop.now)
            } else {
                perform(machine.closeIdle(), context: context)
            }
        case .closeWhenWritten:
            // Before the last response is flushed, as when it was there from the start: added
            // only at the close, a 413 answered while the client went on sending its body was
            // reset about one time in eight (ServeTests' Limits).
            addLingeringCloseIfNeeded(context: context)
            flushIfNeeded(context: context)
            let linger = machine.lingerBeforeClose
            guard let lastWrite else {
                // Written whole at the flush (a small error answer nearly always is): a
                // refusal still lingers. Closed at once, its connection went as soon as the
                // client acknowledged the FIN, and a body that came after that was reset.
                return close(lingering: linger, context: context)
            }
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            lastWrite.whenComplete { _ in
                let (handler, context) = loopBound.value
                handler.close(lingering: linger, context: context)
            }
        }
    }

    /// Whether bytes wait in the connection's socket that NIO has not read yet. Linux's
    /// `SO_MEMINFO` array of `UInt32`s starts with the receive queue's memory
    /// (`SK_MEMINFO_RMEM_ALLOC`), zero when nothing waits, and the kernel copies as much of
    /// the array as asked for. NIO's socket option value is as wide as an `Int`, so it holds
    /// the first two entries: only the first, in memory order, counts. Without a socket
    /// (`EmbeddedChannel`, which traps on options it does not know) or elsewhere than Linux,
    /// nothing is known: false, and the idle connection closes as it would have.
    static func hasUnreadInput(_ channel: any Channel) -> Bool {
        #if os(Linux)
        guard channel is any SocketOptionProvider, let options = channel.syncOptions else { return false }
        let option = ChannelOptions.Types.SocketOption(level: .socket, name: NIOBSDSocket.Option(rawValue: SO_MEMINFO))
        guard let value = try? options.getOption(option) else { return false }
        let receiveQueueMemory = withUnsafeBytes(of: value) { $0.load(as: UInt32.self) }
        return receiveQueueMemory > 0
        #else
        return false
        #endif
    }

    /// How long a connection that answered an error keeps reading (and discarding) what the
    /// client is still sending (its upload), so that the client gets to read the answer,
    /// before it closes. (`LingeringClose` then waits only for the client to acknowledge the
    /// answer's end, which it has long done by then: its check finds our FIN acknowledged.)
    private static let lingerTime: TimeAmount = .seconds(2)

    /// Shuts down the sending side, so the client sees the end of the response, and throws
    /// input away until the client closes too or `lingerTime` passes.
    private func linger(context: ChannelHandlerContext) {
        lingering = true
        monitor?.discardsInput = true
        // First, so that it sees the client's half-close that may come meanwhile.
        addLingeringCloseIfNeeded(context: context)
        context.close(mode: .output, promise: nil)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: Self.lingerTime) {
            let (handler, context) = loopBound.value
            handler.close(context: context)
        }
        if readPending {
            readPending = false
            context.read()
        }
    }

    /// Closes the connection, after reading what the client still sends for a while when
    /// `lingering` (``linger(context:)``).
    private func close(lingering: Bool, context: ChannelHandlerContext) {
        if lingering { linger(context: context) } else { close(context: context) }
    }

    /// Closes the connection, through a `LingeringClose` (added now if the pipeline has none yet).
    private func close(context: ChannelHandlerContext) {
        addLingeringCloseIfNeeded(context: context)
        context.close(promise: nil)
    }

    private func addLingeringCloseIfNeeded(context: ChannelHandlerContext) {
        guard addsLingeringClose else { return }
        addsLingeringClose = false
        // Fails only on a pipeline already torn down: the connection is closed then.
        try? context.pipeline.syncOperations.addHandler(LingeringClose(maximumLinger: machine.writeTimeout,
                                                                        countsUnwrittenBytes: writesReachSocket),
                                                         position: .first)
    }

    /// Sets the connection's timer (or, on an HTTP/2 stream, its connection's) for the next
    /// deadline.
    private func armTimer(context: ChannelHandlerContext) {
        guard let deadline = machine.nextDeadline else { return }
        if let streamTimers {
            streamTimers.set(deadline, for: self, context: context)
        } else {
            deadlines?.set(deadline, for: self)
        }
    }

    /// The deadline the timer was set for has passed.
    func timerFired(context: ChannelHandlerContext) {
        // A response that reached the socket only in part may still be moving: the kernel
        // knows (an HTTP/2 stream's socket is its connection's, which says nothing of it).
        guard streamTimers == nil, machine.writeDeadlinePassed(now: context.eventLoop.now) else {
            return actOnTimer(context: context)
        }
        TransmissionProgress.check(context.channel) { [self] sinceProgress in
            // The deadline counts from that progress, not from now (`TransmissionProgress.remaining`).
            if TransmissionProgress.remaining(of: machine.writeTimeout, sinceProgress: sinceProgress) != nil,
               let sinceProgress {
                machine.writeProgressed(now: context.eventLoop.now - sinceProgress, responseFinished: false)
            }
            actOnTimer(context: context)
        }
    }

    private func actOnTimer(context: ChannelHandlerContext) {
        perform(machine.timerFired(now: context.eventLoop.now), context: context)
        armTimer(context: context)
    }
}

extension HTTPConnectionHandler: QueuedDeadlineOwner {
    /// Each event loop's queue, made by its first connection: an event loop is a thread.
    private static let deadlineQueues = ThreadSpecificVariable<NIOLoopBoundBox<DeadlineQueue<HTTPConnectionHandler>>>()

    /// The deadline queue of `eventLoop`, the current one.
    static func deadlineQueue(on eventLoop: any EventLoop) -> DeadlineQueue<HTTPConnectionHandler> {
        // A test's embedded loops share a thread: a queue serves only the loop it was made for.
        if let box = deadlineQueues.currentValue, box.eventLoop === eventLoop { return box.value }
        let queue = DeadlineQueue<HTTPConnectionHandler>(eventLoop: eventLoop)
        deadlineQueues.currentValue = NIOLoopBoundBox(queue, eventLoop: eventLoop)
        return queue
    }

    func deadlinePassed() {
        guard let context = channelContext else { return }
        timerFired(context: context)
    }
}

extension HTTPConnectionHandler: RequestLineMonitor.Delegate {
    func requestBytesArrived() {
        guard let context = channelContext else { return }
        machine.bytesReceived(now: context.eventLoop.now)
        // On a keep-alive connection the timer is set for the idle deadline, later than
        // the `read_header` one that starts now.
        armTimer(context: context)
    }

    func simpleRequestArrived(_ head: consuming CompactRequestHead) {
        guard let context = channelContext else { return }
        // As the decoder would have delivered it (head, then end), without its hand-offs;
        // when it must wait, as those two parts. Nothing its head does can make the end
        // wait: the request goes from head to answer without being kept in between.
        guard !isBackedUp, !hasQueued, !machine.isClosed else {
            handle(.simpleHead(head), context: context)
            handle(.part(.end(nil)), context: context)
            return
        }
        let check = RequestHeadCheck(head)
        if let request = received(ReceivedHead(head), check: check, context: context) {
            ended(request, context: context)
        }
    }
}

@available(*, unavailable)
extension HTTPConnectionHandler: Sendable {}
