import NIOHTTP1
@testable import ZeroDTHTTP

/// Answers every request with 200 and "hello\n", whatever its method.
struct HelloHandler: HTTPHandler {
    var allowedMethods: [HTTPMethod]? { nil }

    func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
        .response(HTTPResponse(status: .ok, text: "hello\n"))
    }
}
