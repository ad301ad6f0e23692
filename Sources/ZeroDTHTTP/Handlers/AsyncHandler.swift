import Logging
import NIOCore
import NIOHTTP1

/// Runs an `async` function per request off the event loop and hands its response back to
/// the connection: the bridge between `HTTPHandler` (synchronous, on the event loop) and
/// code that awaits.
///
/// The function runs in its own task on Swift's global executor, so a slow one never holds
/// up the event loop or another connection. A function that throws is answered with a
/// plain 500 and the error is logged with the request line; the client never sees the error.
public struct AsyncHandler: HTTPHandler {
    /// What the handler runs for each request.
    public typealias Body = @Sendable (HTTPRequest, HTTPRequestContext) async throws -> HTTPResponse

    /// As given at creation; nil accepts every method.
    public let allowedMethods: [HTTPMethod]?
    private let logger: Logger
    private let label: String
    private let body: Body

    /// Creates a handler that answers with what `body` returns.
    /// - Parameters:
    ///   - label: names the handler in the error log line, e.g. `module 'greeting'`.
    ///   - allowedMethods: methods accepted; others get 405 before `body` runs. Nil accepts all.
    ///   - logger: where a thrown error is logged, at `error` level.
    public init(label: String, allowedMethods: [HTTPMethod]? = nil, logger: Logger, body: @escaping Body) {
        self.label = label
        self.allowedMethods = allowedMethods
        self.logger = logger
        self.body = body
    }

    /// Runs the body in a task and answers once it returns; a thrown error becomes a 500.
    public func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
        let (body, logger, label) = (self.body, self.logger, self.label)
        return .deferred(context.eventLoop.makeFutureWithTask {
            do {
                return try await body(request, context)
            } catch {
                logger.error("\(label) failed: \(error)", metadata: [
                    "server": "\(context.serverName)",
                    "request": "\(request.method.rawValue) \(request.head.uri)",
                ])
                return .error(.internalServerError)
            }
        })
    }
}
