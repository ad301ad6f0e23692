import NIOCore
import NIOHTTP1

/// What the decoder (or the fast path) delivered to a connection, kept in order while earlier requests are
/// still being answered: a request's parts, the error that ended decoding, or the client's
/// half-close. Queuing the last two as well is what answers every request received before
/// them.
enum ConnectionInput {
    case part(HTTPServerRequestPart)
    /// A head the fast path read (its request's end follows as a part).
    case simpleHead(CompactRequestHead)
    /// The decoder refused a head: the answer's status, and the request line as far as it
    /// came (for the log), both judged when the decoder stopped (bytes read later can start
    /// another request line).
    case refusedHead(HTTPResponseStatus, requestLine: HTTPRequestHead)
    case inputClosed
}

extension ConnectionInput {
    /// Input waiting for its turn, in order.
    final class Queue {
        var inputs = CircularBuffer<ConnectionInput>(initialCapacity: 1)
    }
}
