#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Wraps a route's handler so that its responses are compressed on the fly (`encode:`)
/// for clients that accept one of the configured codings.
///
/// A response is compressed when it is a `200` whose body is at least
/// ``EncodingSettings/minimumSize`` and at most ``EncodingSettings/maximumSize`` bytes, of a
/// compressible type (``isCompressible(_:)``), not already encoded (`Content-Encoding`), and
/// not marked `Cache-Control: no-transform`. Such a response carries
/// `Vary: Accept-Encoding` whether or not this client got it compressed. The compressed one
/// has `Content-Encoding`, no `Accept-Ranges` (ranges apply to the unencoded bytes only:
/// a `Range` request gets its `206` unencoded), and its `ETag` turned into
/// `W/"…-gzip"`; a conditional request naming that tag is passed on with the inner tag,
/// so that a matching one still gets its `304`.
///
/// `HEAD` is compressed as `GET` is, so that it carries the same `Content-Length`.
/// The compressed body is built in memory, reading files 64 KiB at a time; hence the size
/// ceiling. A body above ``offloadSize`` is compressed on NIO's thread pool, so that the
/// event loop goes on serving its other connections meanwhile; at most
/// ``maximumOffloaded`` at once in the process, beyond which such bodies go out unencoded,
/// so that clients asking for many large bodies (and perhaps gone already) cannot queue
/// unbounded work. Responses of types that are not compressed pass through unchanged.
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
            return encoded(response, coding: coding, taggedRequest: taggedRequest, on: context.eventLoop)
        case .deferred(let future):
            return .deferred(future.flatMap { response in
                switch encoded(response, coding: coding, taggedRequest: taggedRequest, on: context.eventLoop) {
                case .response(let response): return context.eventLoop.makeSucceededFuture(response)
                case .deferred(let encoding): return encoding
                }
            })
        }
    }

    /// Bodies above this many bytes are compressed off the event loop: at level 1 zlib takes
    /// about a millisecond per 100 KiB of text, which would hold up every other connection
    /// of the loop.
    static let offloadSize = 128 * 1024

    /// Compressions on the thread pool at once, process-wide: twice its threads, so that it
    /// stays busy without a backlog.
    static let maximumOffloaded = 2 * NIOThreadPool.singleton.numberOfThreads
    private static let offloaded = Atomic<Int>(0)

    private func encoded(_ response: HTTPResponse, coding: ContentCoding?, taggedRequest: Bool,
                         on eventLoop: any EventLoop) -> HTTPReply {
        if response.status == .notModified, taggedRequest, let coding {
            // The client's tag was ours: the 304 names the encoded representation it holds.
            var response = response
            Self.addVary(&response.headers)
            Self.suffixTag(&response.headers, coding: coding)
            return .response(response)
        }
        var response = response
        switch response.status {
        case .notModified, .preconditionFailed:
            // No body to tell the type by: what the route's 200 varies by, its validation does.
            Self.addVary(&response.headers)
            return .response(response)
        case .ok, .partialContent:
            // Every response that a coding could have applied to varies by the field, the ones
            // that were not encoded (too small or large, a range) included.
            guard Self.isCompressible(response.headers.first(name: "Content-Type")),
                  !Self.forbidsTransformation(response.headers)
            else { return .response(response) }
            Self.addVary(&response.headers)
        default:
            return .response(response)
        }
        let size = response.bodyCount
        guard let coding, response.status == .ok, size >= settings.minimumSize, size <= EncodingSettings.maximumSize,
              !response.headers.contains(name: "Content-Encoding")
        else { return .response(response) }
        let level = settings.level
        guard size > Self.offloadSize else {
            return .response(Self.replacingBody(of: response, coding: coding, level: level))
        }
        guard Self.offloaded.add(1, ordering: .relaxed).newValue <= Self.maximumOffloaded else {
            Self.offloaded.subtract(1, ordering: .relaxed)
            return .response(response)
        }
        let unencoded = response
        let compressed = NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) {
            Self.replacingBody(of: unencoded, coding: coding, level: level)
        }
        compressed.whenComplete { _ in Self.offloaded.subtract(1, ordering: .relaxed) }
        return .deferred(compressed)
    }

    /// `response` with its body compressed in `coding`, or as it is if that fails.
    private static func replacingBody(of response: HTTPResponse, coding: ContentCoding, level: Int) -> HTTPResponse {
        guard let body = try? compress(response.body, size: response.bodyCount, level: level) else { return response }
        var response = response
        response.fileHandles.forEach { try? $0.close() }
        response.body = body.readableBytes == 0 ? [] : [.bytes(body)]
        response.headers.remove(name: "Accept-Ranges")
        response.headers.replaceOrAdd(name: "Content-Encoding", value: coding.rawValue)
        suffixTag(&response.headers, coding: coding)
        return response
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

    /// Compresses `parts` in order: buffers as they are, file slices 64 KiB at a time.
    static func compress(_ parts: [HTTPResponse.BodyPart], size: Int, level: Int) throws -> ByteBuffer {
        var stream = try GzipStream(level: level, expectedInput: size)
        var chunk = ByteBufferAllocator().buffer(capacity: 0)
        for part in parts {
            switch part {
            case .bytes(let buffer):
                try stream.compress(buffer)
            case .file(let slice):
                var offset = slice.offset
                let end = slice.offset + slice.count
                while offset < end {
                    chunk.clear(minimumCapacity: min(readChunkSize, end - offset))
                    try slice.handle.withUnsafeFileDescriptor { descriptor in
                        try read(descriptor, at: offset, count: min(readChunkSize, end - offset), into: &chunk)
                    }
                    offset += chunk.readableBytes
                    try stream.compress(chunk)
                }
            }
        }
        return try stream.finish()
    }

    private static let readChunkSize = 64 * 1024

    /// Reads up to `count` bytes at `offset`; a file that ends early is an error, since the
    /// headers promise its size.
    private static func read(_ descriptor: CInt, at offset: Int, count: Int, into buffer: inout ByteBuffer) throws {
        let read = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { memory in
            var result: Int
            repeat {
                result = pread(descriptor, memory.baseAddress!, count, off_t(offset))
            } while result < 0 && errno == EINTR
            return max(result, 0)
        }
        guard read > 0 else { throw IOError(errnoCode: EIO, reason: "pread") }
    }
}
