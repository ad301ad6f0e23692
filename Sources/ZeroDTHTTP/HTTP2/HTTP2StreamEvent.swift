import NIOHTTP2

/// nio-http2's stream events, told apart by their type alone. They come three or more per
/// stream (created, closed, window updates) to every handler behind `NIOHTTP2Handler`, and
/// an `as?` cast that fails is a runtime cast of a few hundred instructions: such casts
/// were 6% of a small response's instructions (callgrind), a type comparison costs one.
enum HTTP2StreamEvent {
    case created(HTTP2StreamID)
    case closed(HTTP2StreamID)
    /// A flow-control window changed: the stream's, or the connection's (`.rootStream`).
    case windowUpdated(HTTP2StreamID)
    /// Any other event.
    case other

    init(_ event: Any) {
        // Each cast below is one the type comparison has found to succeed.
        switch ObjectIdentifier(type(of: event)) {
        case ObjectIdentifier(StreamClosedEvent.self):
            self = .closed((event as! StreamClosedEvent).streamID)
        case ObjectIdentifier(NIOHTTP2WindowUpdatedEvent.self):
            self = .windowUpdated((event as! NIOHTTP2WindowUpdatedEvent).streamID)
        case ObjectIdentifier(NIOHTTP2StreamCreatedEvent.self):
            self = .created((event as! NIOHTTP2StreamCreatedEvent).streamID)
        default:
            self = .other
        }
    }
}
