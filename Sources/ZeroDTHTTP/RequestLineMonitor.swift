import NIOCore
import NIOHTTP1

/// Sits before the HTTP decoder and watches raw bytes, for two things the decoder cannot
/// tell: that a new request has started arriving (which starts the `read_header` clock),
/// whether a too-large head overflowed in its request line (414) or its headers (431), and
/// what the request line said when the decoder rejects it (for the access log).
final class RequestLineMonitor: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The length of the latest request line, so far if it is still arriving: the first line
    /// after the connection opened or after a blank line. It is remembered, not reset, once
    /// the line ends, because the monitor scans a whole read before the decoder sees it: a
    /// head that arrives in one read, oversized headers and final blank line included, must
    /// still be judged by its own request line. Body bytes can fool this, which only matters
    /// when choosing between 414 and 431 for a head that is too large anyway.
    private(set) var requestLineLength = 0
    /// The start of the latest request line, up to `keptRequestLineBytes`.
    private var requestLineStart: [UInt8] = []
    private static let keptRequestLineBytes = 1024
    private var inRequestLine = false
    private var lineIsEmpty = true
    private var nextLineIsRequestLine = true

    /// Called with every read, before the decoder sees the bytes.
    var onBytes: (() -> Void)?

    /// Set while lingering before a close: input is read and thrown away.
    var discardsInput = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !discardsInput else { return }
        let buffer = unwrapInboundIn(data)
        onBytes?()
        buffer.withUnsafeReadableBytes { bytes in
            for byte in bytes {
                if byte == UInt8(ascii: "\n") {
                    nextLineIsRequestLine = lineIsEmpty
                    lineIsEmpty = true
                    inRequestLine = false
                } else if byte != UInt8(ascii: "\r") {
                    if lineIsEmpty && nextLineIsRequestLine {
                        inRequestLine = true
                        requestLineLength = 0
                        requestLineStart.removeAll(keepingCapacity: true)
                    }
                    lineIsEmpty = false
                    if inRequestLine {
                        requestLineLength += 1
                        if requestLineStart.count < Self.keptRequestLineBytes { requestLineStart.append(byte) }
                    }
                }
            }
        }
        context.fireChannelRead(data)
    }
}

extension RequestLineMonitor {
    /// The status for a head the decoder rejected: 414 or 431 for one too large (the
    /// decoder counts the target against the same limit as the headers), 501 for an
    /// unknown method, else 400.
    func status(for error: HTTPParserError, maxHeaderSize: Int) -> HTTPResponseStatus {
        switch error {
        case .headerOverflow: return requestLineLength > maxHeaderSize ? .uriTooLong : .requestHeaderFieldsTooLarge
        case .invalidMethod: return .notImplemented
        default: return .badRequest
        }
    }

    /// A head for the access log of a request the decoder rejected: the method and target
    /// of the latest request line as far as they came, `-` for what did not.
    var partialRequestHead: HTTPRequestHead {
        let words = requestLineStart.split(separator: UInt8(ascii: " "), maxSplits: 2)
        let method = words.first.map { String(decoding: $0, as: UTF8.self) } ?? "-"
        let target = words.count > 1 ? String(decoding: words[1], as: UTF8.self) : "-"
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: target)
    }
}

@available(*, unavailable)
extension RequestLineMonitor: Sendable {}
