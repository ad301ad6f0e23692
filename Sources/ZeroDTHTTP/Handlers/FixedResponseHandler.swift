import NIOCore
import NIOHTTP1

/// Answers every request with the same status, headers and body (`respond:` routes).
public struct FixedResponseHandler: ImmediateHTTPHandler {
    /// What every request gets.
    let response: HTTPResponse

    /// Creates a handler that always sends this response.
    /// - Parameters:
    ///   - headers: extra headers, in order; `contentType` is added when the body is not empty.
    public init(status: Int, body: String, contentType: String, headers: [(name: String, value: String)] = []) {
        var fields = HTTPHeaders(headers)
        if !body.isEmpty && !fields.contains(name: "Content-Type") {
            fields.add(name: "Content-Type", value: contentType)
        }
        var response = HTTPResponse(status: HTTPResponseStatus(statusCode: status), headers: fields, text: body)
        // Checked and written once, not per request. A header that fails the check is left
        // for each response to report (a 500 and the reason in the log), as any handler's.
        response.renderedHeaders = try? ResponseHead.render(fields)
        // The whole message is kept only for headers that can go on the wire.
        if response.renderedHeaders != nil { response.fixedMessage = FixedMessage(for: response) }
        self.response = response
    }

    /// Every method gets the same answer.
    public var allowedMethods: [HTTPMethod]? { nil }

    /// The configured response.
    public func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
        .response(response)
    }

    func immediateResponse(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPResponse {
        response
    }
}
