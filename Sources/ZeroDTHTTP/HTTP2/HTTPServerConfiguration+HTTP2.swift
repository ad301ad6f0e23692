import NIOHTTP2

extension HTTPServerConfiguration {
    /// nio-http2's configuration for this server's HTTP/2 connections.
    ///
    /// The server announces `maxConcurrentStreams` and `maxHeaderSize` (as the header list
    /// size, which nio-http2 enforces while decoding) and keeps HTTP/2's 64 KiB flow-control
    /// windows, so one connection buffers at most 64 KiB of request body per open stream.
    /// The flood defences are nio-http2's defaults, which this server relies on: at most 200
    /// stream resets (rapid reset, CVE-2023-44487), 200 stream errors and 200 PING, SETTINGS
    /// or PRIORITY frames per 30 s, 5 CONTINUATION frames in a row, 200 glitches (misbehaving
    /// frames) in all, and 10,000 control frames waiting to be sent to a client that does not
    /// read its answers; beyond, the connection is closed with GOAWAY.
    ///
    /// The request checks of RFC 9113 §8.2 and §8.3 are nio-http2's too, and nothing else
    /// makes them: connection-specific fields, `te` other than `trailers`, upper-case names,
    /// CR, LF or NUL in a field, misplaced or missing pseudo-fields, and a `content-length`
    /// that the DATA frames do not add up to end the stream with RST_STREAM PROTOCOL_ERROR
    /// before the request reaches a handler. They are on by default; they are set here all
    /// the same so that no change of default can turn them off unnoticed.
    var http2: NIOHTTP2Handler.Configuration {
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.headerBlockValidation = .enabled
        connection.contentLengthValidation = .enabled
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: maxConcurrentStreams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: maxHeaderSize),
        ]
        return NIOHTTP2Handler.Configuration(connection: connection, stream: NIOHTTP2Handler.StreamConfiguration())
    }
}
