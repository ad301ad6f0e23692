import NIOCore
import NIOHPACK
import NIOHTTP2

/// Reconciles HTTP/2's two ways of naming a request's host, `:authority` and `host`, before
/// nio-http2's codec makes the request an HTTP/1 head with a single `Host` (RFC 9113
/// §8.3.1). The codec keeps `host` and drops `:authority` when both are there, so a
/// difference between them would go unseen; and it resets the stream (CANCEL, nothing
/// logged) when `:authority` is missing. Here both become something `RequestHeadCheck`
/// judges as it judges HTTP/1: one stream handler, ahead of the codec.
final class HTTP2RequestAuthority: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload

    /// Whether the stream's first HEADERS (the request's; later ones are trailers) went by.
    private var sawRequestHead = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !sawRequestHead, case .headers(var headers) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        sawRequestHead = true
        Self.reconcile(&headers.headers)
        context.fireChannelRead(wrapInboundOut(.headers(headers)))
    }

    /// - Without `:authority`, `host` names the host (§8.3.1 allows that); an empty
    ///   `:authority` is added only for the codec, which requires one and ignores its value
    ///   when there is a `host`. With neither, the head gets an empty `Host`: 400.
    /// - With both, a `host` that differs from `:authority` (compared without the whitespace
    ///   around it and ASCII case) makes the request malformed: `:authority` is added as a
    ///   second `host`, which is refused (400) as two `Host` headers are.
    static func reconcile(_ headers: inout HPACKHeaders) {
        let authorities = headers[":authority"]
        guard let authority = authorities.first else {
            headers.add(name: ":authority", value: "")
            return
        }
        let hosts = headers["host"]
        if hosts.contains(where: { comparable($0) != comparable(authority) }) {
            headers.add(name: "host", value: authority)
        }
    }

    private static func comparable(_ value: String) -> [UInt8] {
        Substring(value).utf8.trimmingOptionalWhitespace().map(\.asciiLowercased)
    }
}

@available(*, unavailable)
extension HTTP2RequestAuthority: Sendable {}
