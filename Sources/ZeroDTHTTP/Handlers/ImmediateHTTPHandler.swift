/// A built-in handler that always answers at once, on the event loop, with a complete
/// response: no future, no streamed body. Its `respond` is `.response` of
/// ``immediateResponse(to:context:)``. An HTTP/2 request complete in its HEADERS frame that
/// is routed to one is answered without a stream channel of its own (`HTTP2DirectStreams`):
/// knowing it before calling the handler means no handler is ever called twice. Wrappers that
/// may defer or stream (`EncodingHandler`, modules) do not adopt it.
protocol ImmediateHTTPHandler: HTTPHandler {
    /// The response to `request`, as `respond` would give it.
    /// - Important: called on `context.eventLoop`.
    func immediateResponse(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPResponse
}
