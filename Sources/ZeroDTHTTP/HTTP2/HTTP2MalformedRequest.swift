import NIOHTTP2

/// The errors nio-http2 finds in a malformed request (RFC 9113 §8.1.1: its header block, or
/// a body that does not add up to its `content-length`): stream errors, answered with
/// RST_STREAM PROTOCOL_ERROR alone, the connection going on. nio-http2 passes them down the
/// pipeline as they are, not wrapped in `NIOHTTP2Errors.StreamError`, just as it passes a
/// connection error after its GOAWAY; the connection's handler tells the two apart by these
/// types. An error missing here closes the connection, which is safe, only harsh.
enum HTTP2MalformedRequest {
    /// Whether nio-http2 reports `error` for one malformed stream, not for the connection.
    static func isStreamError(_ error: any Error) -> Bool {
        switch error {
        case is NIOHTTP2Errors.StreamError,
             is NIOHTTP2Errors.ForbiddenHeaderField, is NIOHTTP2Errors.InvalidHTTP2HeaderFieldName,
             is NIOHTTP2Errors.InvalidHTTP2HeaderFieldValue, is NIOHTTP2Errors.MissingPseudoHeader,
             is NIOHTTP2Errors.DuplicatePseudoHeader, is NIOHTTP2Errors.PseudoHeaderAfterRegularHeader,
             is NIOHTTP2Errors.UnknownPseudoHeader, is NIOHTTP2Errors.UnsupportedPseudoHeader,
             is NIOHTTP2Errors.InvalidPseudoHeaders, is NIOHTTP2Errors.InvalidPseudoHeaderValue,
             is NIOHTTP2Errors.EmptyPathHeader, is NIOHTTP2Errors.ContentLengthViolated,
             is NIOHTTP2Errors.ContentLengthHeadersMismatch, is NIOHTTP2Errors.ContentLengthHeaderNegative,
             is NIOHTTP2Errors.ContentLengthHeaderMalformedValue:
            return true
        default:
            return false
        }
    }
}
