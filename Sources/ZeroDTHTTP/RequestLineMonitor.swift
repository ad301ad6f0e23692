import NIOCore
import NIOHTTP1

/// Sits before the HTTP decoder and watches raw bytes, for two things the decoder cannot
/// tell: that a new request has started arriving (which starts the `read_header` clock),
/// whether a too-large head overflowed in its request line (414) or its headers (431), and
/// what the request line said when the decoder rejects it (for the access log).
///
/// It is also the fast path of HTTP/1 parsing: while the connection's requests are simple
/// (``SimpleRequestHead``), it parses them itself and hands them to the connection handler
/// (`Delegate.simpleRequestArrived`), past NIO's decoder, whose generic, type-erased
/// hand-offs cost more per request than the parsing does. The first request that is not simple goes to the decoder,
/// and so does the rest of the connection: the decoder starts at a request's first byte, as
/// on a new connection, and the monitor watches its bytes from there as before. A monitor
/// with a fast path adds that decoder itself, behind it, when the first such request comes:
/// the decoder is more than a third of what an idle keep-alive connection would hold, and
/// most connections never need it.
final class RequestLineMonitor: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The first bytes of a simple head, waiting for the rest.
    private var partialHead: ByteBuffer?
    /// The reads that brought `partialHead` so far. Each parses it again from its start, so
    /// a head that comes in more pieces than an honest client's goes to the decoder, which
    /// reads it on from where it stopped: a byte at a time would cost the square of its length.
    private var partialHeadReads = 0
    private static let maxPartialHeadReads = 8
    /// What the monitor tells its connection's handler.
    protocol Delegate: AnyObject {
        /// Bytes of a request arrived, before the decoder (if any) sees them.
        func requestBytesArrived()
        /// A simple request (head and end) arrived, in place of the decoder's output.
        func simpleRequestArrived(_ head: consuming CompactRequestHead)
    }

    /// The connection's handler, until the connection closes. (A reference rather than
    /// closures: those were two allocations on every connection.)
    var delegate: (any Delegate)?

    /// - Parameter simpleHeadLimit: the longest head to read on the fast path, the
    ///   decoder's limit (`max_header_size`): the monitor adds the decoder (`decoder(maxHeaderSize:)`)
    ///   once a request needs it. Nil leaves every byte to the decoder already behind the monitor.
    init(simpleHeadLimit: Int? = nil) {
        self.simpleHeadLimit = simpleHeadLimit
        pendingDecoderLimit = simpleHeadLimit
        splitThreshold = simpleHeadLimit ?? 0
    }

    /// NIO's decoder for what the fast path does not read, held to `maxHeaderSize`. Removed,
    /// it passes on the bytes it has not parsed: only a decoder that stopped is removed
    /// (`replaceStoppedDecoder`).
    static func decoder(maxHeaderSize: Int) -> ByteToMessageHandler<HTTPRequestDecoder> {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = maxHeaderSize
        limits.maxHeaderListSize = maxHeaderSize
        return ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes,
                                                       informationalResponseStrategy: .drop,
                                                       limitConfiguration: limits))
    }

    /// Whether NIO's decoder stops parsing after the request with `head`: one that offers to
    /// switch protocols (an `Upgrade` field with `upgrade` among the `Connection` tokens), or a
    /// CONNECT, which llhttp treats the same way. The decoder then leaves the rest of the
    /// connection to an upgrader; the server has none and answers such a request as HTTP/1.1
    /// (RFC 9110 §7.8 lets it ignore the offer), so `replaceStoppedDecoder` must follow. The
    /// test must be llhttp's own, on the head as it decoded it (untrimmed): a decoder replaced
    /// while it is still parsing would lose the start of a head it has read, and pass on the
    /// next request decoded to the fresh one, which takes only bytes. llhttp reads
    /// `Proxy-Connection` as `Connection`, and takes a token with the spaces and tabs before
    /// it but only spaces after it (`upgrade\t` is no `upgrade` to it).
    static func stopsDecoder(_ head: HTTPRequestHead) -> Bool {
        // By its case: `==` would compare the method's name as a string (`HTTPMethod.isHEAD`).
        if case .CONNECT = head.method { return true }
        guard head.headers.contains(name: "upgrade") else { return false }
        return head.headers.contains { name, value in
            (name.isASCIICaseInsensitiveEqual(to: "connection") || name.isASCIICaseInsensitiveEqual(to: "proxy-connection"))
                && value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).contains { token in
                    var token = token.drop(while: \.isOptionalWhitespace)
                    while token.last == UInt8(ascii: " ") { token = token.dropLast() }
                    return token.isASCIICaseInsensitiveEqual(to: "upgrade")
                }
        }
    }

    /// Puts a fresh decoder in place of the one that stopped after a request that offered to
    /// switch protocols (`stopsDecoder`), from the next request on. The stopped decoder is
    /// removed on the next turn of the loop and hands the bytes it holds, unparsed, to the new
    /// one behind it (`leftOverBytesStrategy: .forwardBytes`), in order; `removed` completes
    /// once it has.
    func replaceStoppedDecoder(maxHeaderSize: Int, pipeline: ChannelPipeline.SynchronousOperations,
                               removed: EventLoopPromise<Void>) {
        do {
            // The decoder that read the request; the first one in the pipeline when it was there
            // before the monitor.
            let stopped = try decoder.map { try pipeline.context(handler: $0) }
                ?? pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
            let fresh = Self.decoder(maxHeaderSize: maxHeaderSize)
            try pipeline.addHandler(fresh, position: .after(stopped.handler))
            decoder = fresh
            pipeline.removeHandler(context: stopped, promise: removed)
        } catch {
            // No decoder read the request (the fast path did), or the pipeline is being torn
            // down: nothing to replace.
            removed.fail(error)
        }
    }

    /// The length of the latest request line, so far if it is still arriving: the first line
    /// after the connection opened or after a blank line. It is remembered, not reset, once
    /// the line ends: the decoder gets a request's bytes from its request line up to the next
    /// one, and refuses a head while those go through, oversized headers and final blank line
    /// included. Body bytes can fool this, which only matters when choosing the status of a
    /// head the decoder refuses anyway (`status(for:maxHeaderSize:)`: 414 or 431, 501 or
    /// 400, 505 or 400), and for the access log's line of it.
    private(set) var requestLineLength = 0
    /// The start of the latest request line, up to `keptRequestLineBytes`.
    private var requestLineStart: [UInt8] = []
    private static let keptRequestLineBytes = 1024
    /// The bytes of the latest request (its head and body) so far, before the bytes scanned.
    private var bytesSinceRequestLine = 0
    /// How long a request must be before the decoder gets the next one's bytes apart: only a
    /// head that long can be refused as too large (`max_header_size`; 0 where the monitor
    /// does not know it: every request apart).
    private let splitThreshold: Int

    /// Whether NIO's decoder may have read the requests so far: the fast path has ended, or
    /// there is none. While it has not, no decoder was added, so none can have stopped
    /// (`stopsDecoder`).
    var decoderMayRead: Bool { simpleHeadLimit == nil }

    /// The decoder the monitor added, once it has.
    private var decoder: ByteToMessageHandler<HTTPRequestDecoder>?

    // The optionals of 9 bytes and the flags last: fields are laid out in order, and each of
    // them between two 8-byte fields took 8 bytes of every connection's monitor.
    /// The longest simple head read here (`max_header_size`); nil once the decoder reads the
    /// connection, and for monitors that see no bytes (HTTP/2).
    private var simpleHeadLimit: Int?
    /// The decoder's limit (`max_header_size`) while the decoder is still to be added; nil
    /// once it is, and where the pipeline has its own (a monitor without a fast path).
    private var pendingDecoderLimit: Int?
    private var inRequestLine = false
    private var lineIsEmpty = true
    private var nextLineIsRequestLine = true
    /// Set while lingering before a close: input is read and thrown away.
    var discardsInput = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !discardsInput else { return }
        var buffer = unwrapInboundIn(data)
        if simpleHeadLimit != nil {
            readSimpleHeads(&buffer)
            guard simpleHeadLimit == nil, buffer.readableBytes > 0 else { return }
        }
        forward(buffer, context: context)
    }

    /// Hands the simple requests at the start of `buffer` to the delegate, and keeps the
    /// start of one that has not fully arrived. What is left in `buffer` once the fast path
    /// ends (`simpleHeadLimit` is nil) is the decoder's.
    private func readSimpleHeads(_ buffer: inout ByteBuffer) {
        if var partial = partialHead {
            partialHead = nil
            partial.writeBuffer(&buffer)
            buffer = partial
        }
        while let limit = simpleHeadLimit, buffer.readableBytes > 0, !discardsInput {
            let parsed = SimpleRequestHead.parse(buffer, maxLength: limit)
            // Consumed: its head goes to the delegate, not a copy of it.
            switch consume parsed {
            case .head(let head, let length):
                buffer.moveReaderIndex(forwardBy: length)
                partialHeadReads = 0
                delegate?.simpleRequestArrived(head)
            case .incomplete where partialHeadReads < Self.maxPartialHeadReads:
                // The `read_header` clock starts with a head's first bytes, as below.
                delegate?.requestBytesArrived()
                partialHead = buffer
                partialHeadReads += 1
                return
            case .incomplete, .other:
                simpleHeadLimit = nil
            }
        }
    }

    /// Stops here: nothing behind the monitor acts on writability, which on a plain
    /// connection changes twice a request (`HTTPConnectionHandler.confirmingWaterMark`).
    func channelWritabilityChanged(context: ChannelHandlerContext) {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The start of a head the client gave up on is the decoder's to refuse (400).
        if case ChannelEvent.inputClosed = event, let partial = partialHead {
            partialHead = nil
            simpleHeadLimit = nil
            forward(partial, context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Watches `buffer` and passes it on to the decoder, which is added first if it is not
    /// there yet.
    private func forward(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        if let limit = pendingDecoderLimit {
            pendingDecoderLimit = nil
            do {
                let decoder = Self.decoder(maxHeaderSize: limit)
                try context.pipeline.syncOperations.addHandler(decoder, position: .after(self))
                self.decoder = decoder
            } catch {
                // Only a pipeline being torn down refuses a handler: nothing is served any more.
                context.fireErrorCaught(error)
                return
            }
        }
        delegate?.requestBytesArrived()
        // A request long enough to be refused as too large goes to the decoder apart from
        // the next: the decoder refuses it while its piece goes through, when what the
        // monitor knows is its request line, not a later one from the same read. (Cutting at
        // every request would cut bodies at their blank lines too.)
        // The bytes go on as they came: only llhttp knows where a body ends, so nothing here
        // may change them (a body can hold what looks like a request line).
        var rest = buffer
        while rest.readableBytes > 0, !discardsInput {
            let length = rest.withUnsafeReadableBytes { scanToNextRequestLine($0) }
            context.fireChannelRead(wrapInboundOut(rest.readSlice(length: length)!))
        }
    }

    /// Watches `bytes` up to the start of the next request line after their first byte that
    /// follows a request of `splitThreshold` bytes or more, and says how many that is (all of
    /// them when none does).
    private func scanToNextRequestLine(_ bytes: UnsafeRawBufferPointer) -> Int {
        // Where the request line being kept starts: it is copied once, at its end or at the
        // end of the bytes, not byte by byte.
        var keptFrom: Int? = inRequestLine ? 0 : nil
        // This request's bytes before `bytes`, and where in `bytes` it started.
        var before = bytesSinceRequestLine
        var requestStart = 0
        for index in bytes.indices {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") {
                if let from = keptFrom {
                    let end = index > from && bytes[index - 1] == UInt8(ascii: "\r") ? index - 1 : index
                    keep(bytes[from..<end])
                    keptFrom = nil
                }
                nextLineIsRequestLine = lineIsEmpty
                lineIsEmpty = true
                inRequestLine = false
            } else if byte != UInt8(ascii: "\r") {
                if lineIsEmpty && nextLineIsRequestLine {
                    if index > 0 && before + index - requestStart >= splitThreshold {
                        bytesSinceRequestLine = 0
                        return index
                    }
                    before = 0
                    requestStart = index
                    inRequestLine = true
                    requestLineLength = 0
                    requestLineStart.removeAll(keepingCapacity: true)
                    keptFrom = index
                }
                lineIsEmpty = false
                if inRequestLine { requestLineLength += 1 }
            }
        }
        if let from = keptFrom { keep(bytes[from..<bytes.endIndex]) }
        bytesSinceRequestLine = before + bytes.count - requestStart
        return bytes.count
    }

    /// Keeps the start of the request line, up to `keptRequestLineBytes`.
    private func keep(_ bytes: Slice<UnsafeRawBufferPointer>) {
        let room = Self.keptRequestLineBytes - requestLineStart.count
        if room > 0 { requestLineStart.append(contentsOf: bytes.prefix(room)) }
    }
}

extension RequestLineMonitor {
    /// The status for a head the decoder rejected: 414 or 431 for one too large (the
    /// decoder counts the target against the same limit as the headers); 501 for an
    /// unknown method, a token (RFC 9112 §3.1) ended by a space or by the bytes so far
    /// (anything else before the first space, a tab too, is a malformed request line: RFC
    /// 9112 §3 lets a server refuse whitespace other than single spaces there, 400); 505
    /// for a well-formed version of another major version than 1 (`HTTP/2.0` in an HTTP/1
    /// request line, RFC 9110 §15.6.6); else 400.
    func status(for error: HTTPParserError, maxHeaderSize: Int) -> HTTPResponseStatus {
        switch error {
        case .headerOverflow: return requestLineLength > maxHeaderSize ? .uriTooLong : .requestHeaderFieldsTooLarge
        case .invalidMethod: return methodIsToken ? .notImplemented : .badRequest
        case .invalidVersion: return versionHasOtherMajor ? .httpVersionNotSupported : .badRequest
        default: return .badRequest
        }
    }

    /// Whether the latest request line's bytes before its first space (or all of them so
    /// far, while it has not ended) are a token.
    private var methodIsToken: Bool {
        let method = requestLineStart.prefix { $0 != UInt8(ascii: " ") }
        // Followed by a space, or by nothing yet: a line that ended after it names no target.
        let isFollowed = method.count < requestLineStart.count || inRequestLine
        return isFollowed && !method.isEmpty && method.allSatisfy(\.isTokenCharacter)
    }

    /// Whether the latest request line ends in ` HTTP/`, a digit other than 1, `.` and a
    /// digit, as far as its start was kept (a longer line's version is not known: 400).
    private var versionHasOtherMajor: Bool {
        let line = keptRequestLine
        guard requestLineStart.count < Self.keptRequestLineBytes, line.count >= 9 else { return false }
        let version = Array(line.suffix(9))
        let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        return version.prefix(6).elementsEqual(" HTTP/".utf8) && isDigit(version[6]) && version[6] != UInt8(ascii: "1")
            && version[7] == UInt8(ascii: ".") && isDigit(version[8])
    }

    /// The latest request line as far as it was kept, without its CR (a line whose CR ended
    /// one read and LF began the next kept the CR).
    private var keptRequestLine: ArraySlice<UInt8> {
        requestLineStart.last == UInt8(ascii: "\r") ? requestLineStart.dropLast() : requestLineStart[...]
    }

    /// A head for the access log of a request the decoder rejected: the method and target
    /// of the latest request line as far as they came, `-` for what did not.
    var partialRequestHead: HTTPRequestHead {
        let words = keptRequestLine.split(separator: UInt8(ascii: " "), maxSplits: 2)
        let method = words.first.map { String(decoding: $0, as: UTF8.self) } ?? "-"
        let target = words.count > 1 ? String(decoding: words[1], as: UTF8.self) : "-"
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: target)
    }
}

@available(*, unavailable)
extension RequestLineMonitor: Sendable {}
