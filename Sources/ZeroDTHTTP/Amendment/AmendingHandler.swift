import NIOCore
import NIOHTTP1

/// Wraps a route's handler so that every response it produces — errors, redirects, 304s
/// and its 405s included — passes through a ``ResponseAmendment``.
///
/// Routes without an amendment are not wrapped, so they cost nothing extra per request.
public struct AmendingHandler: HTTPHandler {
    private let inner: any HTTPHandler
    private let amendment: ResponseAmendment

    /// Wraps `handler`.
    public init(_ handler: any HTTPHandler, amendment: ResponseAmendment) {
        self.inner = handler
        self.amendment = amendment
    }

    /// Nil: the method check happens here, so that its 405 is amended too.
    public var allowedMethods: [HTTPMethod]? { nil }

    /// The inner handler's reply, amended; a failed deferred reply becomes an amended 500.
    public func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
        if let allowed = inner.allowedMethods, !allowed.contains(request.method) {
            return .response(amended(.methodNotAllowed(allowed: allowed)))
        }
        switch inner.respond(to: request, context: context) {
        case .response(let response):
            return .response(amended(response))
        case .deferred(let future):
            return .deferred(future.recover { _ in .error(.internalServerError) }.map { amended($0) })
        }
    }

    private func amended(_ response: HTTPResponse) -> HTTPResponse {
        var response = response
        amendment.apply(to: &response)
        return response
    }
}

/// What `RoutingTable` routes to for requests no configured route takes, when the server
/// has an amendment: the 404 and the subtree redirect the connection would otherwise write.
struct UnroutedHandler: HTTPHandler {
    enum Answer {
        case notFound
        case addSlash
    }

    let answer: Answer

    var allowedMethods: [HTTPMethod]? { nil }

    func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
        switch answer {
        case .notFound: return .response(.error(.notFound))
        case .addSlash: return .response(.redirectAddingSlash(uri: request.head.uri, query: request.query))
        }
    }
}
