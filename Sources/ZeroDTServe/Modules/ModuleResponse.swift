import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import ZeroDTHTTP

/// A handler module's answer: status, headers and a body that is either in memory or
/// written piece by piece by a closure.
///
/// - Important: a streamed body is collected in memory (up to `maximumStreamedBodySize`)
///   before the response goes out, because the server sends every response with a
///   `Content-Length`. The closure runs off the event loop, so it may await freely, but
///   the client sees nothing until it returns.
public struct ModuleResponse: Sendable {
    /// The most bytes a streamed body may write; past it `write` throws and the client gets a 500.
    public static let maximumStreamedBodySize = 64 * 1024 * 1024

    /// A response body.
    public struct Body: Sendable {
        fileprivate enum Storage: Sendable {
            case buffer(ByteBuffer)
            case stream(@Sendable (ModuleBodyWriter) async throws -> Void)
        }

        fileprivate let storage: Storage

        /// No body.
        public static let empty = Body(storage: .buffer(ByteBuffer()))

        /// Bytes in memory.
        public static func bytes(_ buffer: ByteBuffer) -> Body { Body(storage: .buffer(buffer)) }

        /// UTF-8 text.
        public static func string(_ text: String) -> Body { Body(storage: .buffer(ByteBuffer(string: text))) }

        /// A body written by `writer` in pieces; see the note on `ModuleResponse` about buffering.
        public static func stream(_ writer: @escaping @Sendable (ModuleBodyWriter) async throws -> Void) -> Body {
            Body(storage: .stream(writer))
        }
    }

    /// The status.
    public var status: HTTPResponseStatus
    /// Headers; `Content-Length`, `Date`, `Server` and `Connection` are set by the server.
    public var headers: HTTPHeaders
    /// The body.
    public var body: Body

    /// Creates a response.
    public init(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:], body: Body = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A text response; `Content-Type` defaults to `text/plain; charset=utf-8`.
    public init(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:], text: String) {
        var headers = headers
        if !headers.contains(name: "Content-Type") {
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        }
        self.init(status: status, headers: headers, body: .string(text))
    }

    /// A JSON response of `value`, encoded with sorted keys and ISO 8601 dates.
    /// - Throws: when `value` cannot be encoded.
    public static func json<Value: Encodable>(_ value: Value, status: HTTPResponseStatus = .ok,
                                              headers: HTTPHeaders = [:]) throws -> ModuleResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        var data = try encoder.encode(value)
        data.append(UInt8(ascii: "\n"))
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        return ModuleResponse(status: status, headers: headers, body: .bytes(ByteBuffer(bytes: data)))
    }

    /// The response as the connection sends it, running a streamed body to its end.
    func rendered() async throws -> HTTPResponse {
        switch body.storage {
        case .buffer(let buffer):
            return HTTPResponse(status: status, headers: headers, body: buffer.readableBytes > 0 ? [.bytes(buffer)] : [])
        case .stream(let produce):
            let writer = ModuleBodyWriter()
            try await produce(writer)
            let parts = writer.finish().map(HTTPResponse.BodyPart.bytes)
            return HTTPResponse(status: status, headers: headers, body: parts)
        }
    }
}

/// Receives the pieces of a streamed response body.
public final class ModuleBodyWriter: Sendable {
    /// Why a write was refused.
    public struct TooLarge: Error, CustomStringConvertible {
        /// The status and body kind, for logs.
        public var description: String {
            "streamed response body exceeds \(ModuleResponse.maximumStreamedBodySize) bytes"
        }
    }

    private struct State {
        var parts: [ByteBuffer] = []
        var count = 0
        var finished = false
    }

    private let state = NIOLockedValueBox(State())

    init() {}

    /// Appends `buffer` to the body.
    /// - Throws: `TooLarge` past `ModuleResponse.maximumStreamedBodySize`.
    public func write(_ buffer: ByteBuffer) async throws {
        try state.withLockedValue { state in
            precondition(!state.finished, "ModuleBodyWriter used after its closure returned")
            guard state.count + buffer.readableBytes <= ModuleResponse.maximumStreamedBodySize else { throw TooLarge() }
            state.count += buffer.readableBytes
            if buffer.readableBytes > 0 { state.parts.append(buffer) }
        }
    }

    /// Appends `text`, encoded as UTF-8.
    public func write(_ text: String) async throws {
        try await write(ByteBuffer(string: text))
    }

    fileprivate func finish() -> [ByteBuffer] {
        state.withLockedValue { state in
            state.finished = true
            return state.parts
        }
    }
}
