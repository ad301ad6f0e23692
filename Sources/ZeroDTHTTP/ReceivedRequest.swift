import NIOCore
import NIOHTTP1

/// A request whose head the connection has received: the head, when it began, the host it is
/// for, whether it is already known to fail, and its body once read. A value: a request
/// answered as soon as its head is in, as nearly every one is, is never stored (its object
/// cost each such request about 1% of its instructions); one whose body is still coming is
/// kept in a `PendingRequest`.
struct ReceivedRequest {
    let head: ReceivedHead
    let started: NIODeadline
    /// The host it is for, as routing read it (``RequestHost``); nil when it names none.
    let host: RequestHostName?
    /// Set when the request is already known to fail; the body is then discarded.
    let failure: HTTPResponseStatus?
    var body: ByteBuffer?
}
