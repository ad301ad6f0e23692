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
            // Where the request line being kept starts in this read: it is copied once, at
            // its end or at the end of the read, not byte by byte.
            var keptFrom: Int? = inRequestLine ? 0 : nil
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
        }
        context.fireChannelRead(data)
    }

    /// Keeps the start of the request line, up to `keptRequestLineBytes`.
    private func keep(_ bytes: Slice<UnsafeRawBufferPointer>) {
        let room = Self.keptRequestLineBytes - requestLineStart.count
        if room > 0 { requestLineStart.append(contentsOf: bytes.prefix(room)) }
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
        // A line whose CR ended one read and LF began the next kept the CR.
        let line = requestLineStart.last == UInt8(ascii: "\r") ? requestLineStart.dropLast() : requestLineStart[...]
        let words = line.split(separator: UInt8(ascii: " "), maxSplits: 2)
        let method = words.first.map { String(decoding: $0, as: UTF8.self) } ?? "-"
        let target = words.count > 1 ? String(decoding: words[1], as: UTF8.self) : "-"
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: target)
    }
}

@available(*, unavailable)
extension RequestLineMonitor: Sendable {}
