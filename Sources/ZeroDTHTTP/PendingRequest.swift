import NIOCore
import NIOHTTP1

/// The request a connection is reading: its head, when it began, and its body so far.
struct PendingRequest {
    var head: HTTPRequestHead
    var started: NIODeadline
    var closeAfterResponse: Bool
    /// The host it is for, as routing read it (``RequestHost``); nil when it names none.
    var host: String?
    /// Set when the request is already known to fail; the body is then discarded.
    var failure: HTTPResponseStatus?
    var body: ByteBuffer?
}
