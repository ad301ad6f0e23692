import NIOHTTP1

/// What a server or route changes in the responses it sends: error pages, then headers.
public struct ResponseAmendment: Sendable, Equatable {
    /// The headers set and removed.
    public var headers: ResponseHeaderRules
    /// The pages that replace the plain-text error bodies.
    public var errorPages: ErrorPages

    /// Creates an amendment.
    public init(headers: ResponseHeaderRules = .init(), errorPages: ErrorPages = .init()) {
        self.headers = headers
        self.errorPages = errorPages
    }

    /// Whether it changes nothing: then none is kept, and responses cost nothing extra.
    public var isEmpty: Bool { headers.isEmpty && errorPages.isEmpty }

    /// Puts the error page in place of a plain error body, keeping the status and the other
    /// headers (`Allow`, `Location`, `Content-Range`), then applies the header rules.
    ///
    /// Only the bodies ZeroDT writes itself are replaced (``HTTPResponse/error(_:headers:)``,
    /// a module that threw): a handler's own error body, such as an API's JSON, is its answer.
    func apply(to response: inout HTTPResponse) {
        if response.isPlainError, let page = errorPages.page(for: response.status) {
            response.headers.replaceOrAdd(name: "Content-Type", value: page.contentType)
            response.body = page.body.readableBytes == 0 ? [] : [.bytes(page.body)]
        }
        // Touching `response.headers` at all (inout) drops a block rendered ahead of it: only
        // rules that can change them do.
        if !headers.isEmpty { headers.apply(to: &response.headers) }
    }
}
