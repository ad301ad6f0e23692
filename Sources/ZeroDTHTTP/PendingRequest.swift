import NIOCore
import NIOHTTP1

/// The request a connection is reading: its head, when it began, and its body so far.
///
/// A class, made per request: the connection holds it only while the request is read, and an
/// idle keep-alive connection keeps 8 bytes for it where the fields inline were over 100.
final class PendingRequest {
    let head: ReceivedHead
    let started: NIODeadline
    /// The host it is for, as routing read it (``RequestHost``); nil when it names none.
    let host: RequestHostName?
    /// Set when the request is already known to fail; the body is then discarded.
    let failure: HTTPResponseStatus?
    /// Appended to in place: the request is held by the connection alone while it is read.
    var body: ByteBuffer?

    init(head: ReceivedHead, started: NIODeadline, host: RequestHostName?, failure: HTTPResponseStatus?) {
        self.head = head
        self.started = started
        self.host = host
        self.failure = failure
    }
}
