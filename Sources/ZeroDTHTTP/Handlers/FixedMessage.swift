import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// A fixed response's whole HTTP/1 message, head and body in one buffer, as last written
/// (issue 14). While what the connection adds to it stays the same (the `Date`, new each
/// second; `Server`; `Connection`; the version; whether the body goes along), the next
/// response of the route is those very bytes: not serialized, not copied, not allocated.
/// Shared by the event loops that serve the route; the lock is held to take a reference.
final class FixedMessage: Sendable {
    /// What the connection put into a message beside the response's own status, headers
    /// and body, which never change (``HTTPResponse/fixedMessage``).
    private struct Fields {
        var date: String
        var server: String?
        var connection: String?
        var minorVersion: Int
        var carriesBody: Bool
    }

    /// A message and the fields it was written with.
    private final class Entry: Sendable {
        let fields: Fields
        let message: ByteBuffer

        init(_ fields: Fields, _ message: ByteBuffer) {
            self.fields = fields
            self.message = message
        }
    }

    private let last = NIOLockedValueBox<Entry?>(nil)

    /// The status of the response whose message this keeps.
    let status: HTTPResponseStatus
    /// Its body's size.
    let bodyCount: Int
    /// Whether a message that carries a body goes with it: the body goes in the head's buffer
    /// (``HTTPResponse/inlineBody``), as `HTTPConnectionHandler.write` decides.
    let inlinesBody: Bool
    /// Whether a message holds the whole response, body and all, when one is sent: the body
    /// is inlined, or there is none. Else the kept message is the head alone.
    var holdsWholeBody: Bool { inlinesBody || bodyCount == 0 }

    /// Keeps the messages of `response`, which must not change while it does (a change to
    /// the response drops its ``HTTPResponse/fixedMessage``).
    init(for response: HTTPResponse) {
        status = response.status
        bodyCount = response.bodyCount
        inlinesBody = response.inlineBody != nil
    }

    /// The message last stored, if it was for these fields; nil if it was for others.
    func message(date: String, server: String?, connection: String?, minorVersion: Int,
                 carriesBody: Bool) -> ByteBuffer? {
        // Compared outside the lock: an entry never changes, only which one is last.
        // Field by field, without making a `Fields` to compare: that copy cost a third of
        // what reusing the message saves.
        guard let entry = last.withLockedValue({ $0 }), entry.fields.minorVersion == minorVersion,
              entry.fields.carriesBody == carriesBody, entry.fields.date == date, entry.fields.server == server,
              entry.fields.connection == connection else { return nil }
        return entry.message
    }

    /// Keeps `message`, written with these fields, in place of the last one.
    func store(_ message: ByteBuffer, date: String, server: String?, connection: String?, minorVersion: Int,
               carriesBody: Bool) {
        let entry = Entry(Fields(date: date, server: server, connection: connection, minorVersion: minorVersion,
                                 carriesBody: carriesBody), message)
        last.withLockedValue { $0 = entry }
    }
}
