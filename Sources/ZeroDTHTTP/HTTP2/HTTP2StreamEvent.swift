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
        self = _openExistential(event, do: classify)
    }
}

/// Opened, the event's type is a comparison away, and the event itself a reinterpretation
/// of the same value where a cast, even one that succeeds, goes through the runtime.
private func classify<Event>(_ event: Event) -> HTTP2StreamEvent {
    if Event.self == StreamClosedEvent.self {
        return .closed(unsafeBitCast(event, to: StreamClosedEvent.self).streamID)
    }
    if Event.self == NIOHTTP2WindowUpdatedEvent.self {
        return .windowUpdated(unsafeBitCast(event, to: NIOHTTP2WindowUpdatedEvent.self).streamID)
    }
    if Event.self == NIOHTTP2StreamCreatedEvent.self {
        return .created(unsafeBitCast(event, to: NIOHTTP2StreamCreatedEvent.self).streamID)
    }
    return .other
}
