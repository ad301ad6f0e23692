import NIOCore
import NIOHTTP1

/// Answers every request with the same status, headers and body (`respond:` routes).
public struct FixedResponseHandler: HTTPHandler {
    private let response: HTTPResponse

    /// Creates a handler that always sends this response.
    /// - Parameters:
    ///   - headers: extra headers, in order; `contentType` is added when the body is not empty.
    public init(status: Int, body: String, contentType: String, headers: [(name: String, value: String)] = []) {
        var fields = HTTPHeaders(headers)
        if !body.isEmpty && !fields.contains(name: "Content-Type") {
            fields.add(name: "Content-Type", value: contentType)
        }
        response = HTTPResponse(status: HTTPResponseStatus(statusCode: status), headers: fields, text: body)
    }

    /// Every method gets the same answer.
    public var allowedMethods: [HTTPMethod]? { nil }

    /// The configured response.
    public func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
        .response(response)
    }
}
