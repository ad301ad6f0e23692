import NIOCore
import NIOHTTP1

/// Wraps a route's handler so that its responses are compressed on the fly (`encode:`)
/// for clients that accept one of the configured codings.
///
/// A response is compressed when it is a `200` whose body is at least
/// ``EncodingSettings/minimumSize`` bytes, of a compressible type (``isCompressible(_:)``),
/// not already encoded (`Content-Encoding`), and not marked `Cache-Control: no-transform`.
/// Such a response carries `Vary: Accept-Encoding` whether or not this client got it
/// compressed. The compressed one
/// has `Content-Encoding`, no `Accept-Ranges` (ranges apply to the unencoded bytes only:
/// a `Range` request gets its `206` unencoded), and its `ETag` turned into
/// `W/"…-gzip"`; a conditional request naming that tag is passed on with the inner tag,
/// so that a matching one still gets its `304`.
///
/// A body of at most ``oneShotSize(level:)`` bytes (two slices) is compressed at once, in
/// memory, and goes out with its `Content-Length`. A larger one is compressed as it is sent
/// (`CompressingBodyStream`): a slice at a time on the event loop, the next one once the
/// previous piece is written, so memory stays at a piece per response whatever the body's
/// size and the client's speed, and the first bytes leave after one slice. Such a body has
/// no `Content-Length` (HTTP/1.1 chunked, HTTP/2 DATA frames up to END_STREAM, HTTP/1.0 up to
/// the connection's close). A `HEAD` gets the headers of a streamed `GET` (no
/// `Content-Length`) and costs no compression. Responses of types that are not compressed
/// pass through unchanged.
public struct EncodingHandler: HTTPHandler {
    private let inner: any HTTPHandler
    private let settings: EncodingSettings

    /// Wraps `handler`.
    public init(_ handler: any HTTPHandler, settings: EncodingSettings) {
        self.inner = handler
        self.settings = settings
    }

    /// The inner handler's.
    public var allowedMethods: [HTTPMethod]? { inner.allowedMethods }

    /// The inner handler's reply, compressed when it qualifies.
    public func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
        // Without the field nothing is encoded: the common case costs one header lookup.
        let coding = request.head.headers.contains(name: "Accept-Encoding")
            ? AcceptEncoding(request.head.headers).select(from: settings.codings) : nil
        var request = request
        let taggedRequest = coding.map { Self.addUnsuffixedTags($0, from: &request.head.headers) } ?? false
        switch inner.respond(to: request, context: context) {
        case .response(let response):
            return .response(encoded(response, coding: coding, taggedRequest: taggedRequest,
                                     isHead: request.head.method == .HEAD))
        case .deferred(let future):
            let isHead = request.head.method == .HEAD
            return .deferred(future.map { response in
                encoded(response, coding: coding, taggedRequest: taggedRequest, isHead: isHead)
            })
        }
    }

    /// Bodies up to this many bytes are compressed at once and sent with `Content-Length`,
    /// so that a small body's client gets its length. Two streamed slices: compressing them
    /// holds the event loop for twice a slice's time, a few milliseconds at most whatever
    /// the level (zlib's time per byte grows with the level, the slice shrinks with it).
    /// Larger bodies are streamed.
    static func oneShotSize(level: Int) -> Int {
        2 * CompressingBodyStream.sliceSize(level: level)
    }

    private func encoded(_ response: HTTPResponse, coding: ContentCoding?, taggedRequest: Bool,
                         isHead: Bool) -> HTTPResponse {
        if response.status == .notModified, taggedRequest, let coding {
            // The client's tag was ours: the 304 names the encoded representation it holds.
            var response = response
            Self.addVary(&response.headers)
            Self.suffixTag(&response.headers, coding: coding)
            return response
        }
        var response = response
        switch response.status {
        case .notModified, .preconditionFailed:
            // No body to tell the type by: what the route's 200 varies by, its validation does.
            Self.addVary(&response.headers)
            return response
        case .ok, .partialContent:
            // Every response that a coding could have applied to varies by the field, the ones
            // that were not encoded (too small, a range) included.
            guard Self.isCompressible(response.headers.first(name: "Content-Type")),
                  !Self.forbidsTransformation(response.headers)
            else { return response }
            Self.addVary(&response.headers)
        default:
            return response
        }
        let size = response.bodyCount
        guard let coding, response.status == .ok, response.stream == nil, size >= settings.minimumSize,
              !response.headers.contains(name: "Content-Encoding")
        else { return response }
        let stream = CompressingBodyStream(parts: response.body, level: settings.level)
        var encoded = response
        encoded.body = []
        if size <= Self.oneShotSize(level: settings.level) && !isHead {
            guard let body = try? stream.compressAll(expectedSize: size) else {
                // Unencoded after all (a file cut short): the connection then finds the same.
                return response
            }
            stream.close()
            encoded.body = body.readableBytes == 0 ? [] : [.bytes(body)]
        } else {
            encoded.stream = stream
        }
        Self.markEncoded(&encoded.headers, coding: coding)
        return encoded
    }

    /// The headers of a body now in `coding`.
    private static func markEncoded(_ headers: inout HTTPHeaders, coding: ContentCoding) {
        headers.remove(name: "Accept-Ranges")
        headers.replaceOrAdd(name: "Content-Encoding", value: coding.rawValue)
        suffixTag(&headers, coding: coding)
    }

    /// `Vary: Accept-Encoding`, unless the inner handler said so already (a static route
    /// with `precompressed`).
    private static func addVary(_ headers: inout HTTPHeaders) {
        guard !headers["Vary"].contains(where: { $0.lowercased().contains("accept-encoding") }) else { return }
        headers.add(name: "Vary", value: "Accept-Encoding")
    }

    /// Turns the `ETag` into the weak tag of the encoded representation, `W/"…-gzip"`,
    /// unless it is one already (a precompressed sibling's, whose 304 this may be).
    private static func suffixTag(_ headers: inout HTTPHeaders, coding: ContentCoding) {
        guard let tag = headers.first(name: "ETag").flatMap({ EntityTag.parse($0) }),
              !tag.opaque.hasSuffix("-" + coding.rawValue)
        else { return }
        headers.replaceOrAdd(name: "ETag", value: EntityTag(opaque: tag.opaque + "-" + coding.rawValue,
                                                            isWeak: true).description)
    }

    /// Adds to `If-None-Match` each tag ending in `-<coding>` without that suffix, so that
    /// the inner handler recognizes the representation the encoded one was made from; the
    /// tags as sent stay, for a handler that made them itself. Whether there was one.
    private static func addUnsuffixedTags(_ coding: ContentCoding, from headers: inout HTTPHeaders) -> Bool {
        let suffix = "-" + coding.rawValue + "\""
        let lines = headers["If-None-Match"]
        guard lines.contains(where: { $0.contains(suffix) }) else { return false }
        for line in lines where line.contains(suffix) {
            headers.add(name: "If-None-Match", value: line.replacing(suffix, with: "\""))
        }
        return true
    }

    /// Whether a body of `contentType` is worth compressing: `text/*`, JSON, JavaScript,
    /// XML, WebAssembly, TrueType and OpenType fonts, and any `+json` or `+xml` type (SVG,
    /// Atom, RSS, web manifests). Images, audio, video, archives and WOFF fonts are
    /// compressed already.
    static func isCompressible(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.prefix { $0 != ";" }.lowercased().filter { $0 != " " && $0 != "\t" }
        return mediaType.hasPrefix("text/") || mediaType.hasSuffix("+json") || mediaType.hasSuffix("+xml")
            || compressibleTypes.contains(mediaType)
    }

    private static let compressibleTypes: Set<String> = [
        "application/json", "application/javascript", "application/x-javascript", "application/ecmascript",
        "application/xml", "application/wasm", "font/ttf", "font/otf",
    ]

    /// Whether `Cache-Control` has `no-transform` (RFC 9111 §5.2.2.6), which forbids a
    /// change of content coding.
    static func forbidsTransformation(_ headers: HTTPHeaders) -> Bool {
        headers["Cache-Control"].contains { line in
            line.split(separator: ",").contains {
                $0.trimmingOptionalWhitespace().lowercased() == "no-transform"
            }
        }
    }
}
