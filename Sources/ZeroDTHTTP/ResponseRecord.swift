import NIOCore
import NIOHTTP1

/// What a route's metrics and its server's access log record of a response, taken when the
/// response is issued, and recorded once its body size is known: at once for a body of known
/// length, at its end for a streamed one (the bytes then written). The duration is the time
/// to the response's head, as for every response.
struct ResponseRecord {
    var routeMetrics: RouteMetrics?
    var accessLog: (@Sendable (AccessLogEntry) -> Void)?
    var route: String?
    var remoteAddress: SocketAddress?
    var isSecure: Bool
    var method: HTTPMethod
    /// The request's head, for the access log; nil without one.
    var requestHead: HTTPRequestHead?
    var status: Int
    var duration: Duration

    func record(bodyBytes: Int) {
        routeMetrics?.record(method: method, status: status, bytes: bodyBytes, duration: duration)
        guard let accessLog, let requestHead else { return }
        accessLog(AccessLogEntry(remoteAddress: remoteAddress, isSecure: isSecure, method: requestHead.method,
                                  target: requestHead.uri, version: requestHead.version, status: status,
                                  bytes: bodyBytes, duration: duration, route: route,
                                  requestHeaders: requestHead.headers))
    }
}
