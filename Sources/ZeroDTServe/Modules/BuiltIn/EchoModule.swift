import Foundation
import NIOCore

/// `handler: echo`: answers with the request it received — method, target, version,
/// headers and body — as JSON (the default) or as text (`options: { format: text }`).
///
/// In JSON, a body that is valid UTF-8 is the string `body`; any other body is
/// `body_base64`. The text form is the request head as received, a blank line, and the body.
public struct EchoModule: HandlerModule {
    /// How the echo is written.
    public enum Format: String, Sendable, CaseIterable {
        case json
        case text
    }

    /// Named `echo` in configs.
    public static let name = "echo"

    private let format: Format

    /// Reads `format: json|text` (default json).
    public static func configure(_ options: inout ModuleOptions) -> Format {
        options.choice("format", as: Format.self) ?? .json
    }

    /// Remembers the format.
    public init(configuration: Format, setup: ModuleSetup) {
        format = configuration
    }

    private struct Echo: Encodable {
        var method: String
        var target: String
        var path: String
        var query: String?
        var version: String
        var headers: [[String]]
        var body: String?
        var bodyBase64: String?

        enum CodingKeys: String, CodingKey {
            case method, target, path, query, version, headers, body
            case bodyBase64 = "body_base64"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(method, forKey: .method)
            try container.encode(target, forKey: .target)
            try container.encode(path, forKey: .path)
            try container.encode(query, forKey: .query)
            try container.encode(version, forKey: .version)
            try container.encode(headers, forKey: .headers)
            if let bodyBase64 {
                try container.encode(bodyBase64, forKey: .bodyBase64)
            } else {
                try container.encode(body ?? "", forKey: .body)
            }
        }
    }

    /// The request, echoed.
    public func handle(_ request: ModuleRequest, context: ModuleContext) async throws -> ModuleResponse {
        let body = try await request.body.collect()
        let version = "HTTP/\(request.head.version.major).\(request.head.version.minor)"
        switch format {
        case .json:
            let bytes = Array(body.readableBytesView)
            let text = String(validating: bytes, as: UTF8.self)
            return try .json(Echo(method: request.method.rawValue, target: request.target, path: request.path,
                                  query: request.query, version: version,
                                  headers: request.headers.map { [$0.name, $0.value] },
                                  body: text, bodyBase64: text == nil ? Data(bytes).base64EncodedString() : nil))
        case .text:
            var text = "\(request.method.rawValue) \(request.target) \(version)\r\n"
            for header in request.headers { text += "\(header.name): \(header.value)\r\n" }
            text += "\r\n"
            var buffer = ByteBuffer(string: text)
            buffer.writeImmutableBuffer(body)
            return ModuleResponse(headers: ["Content-Type": "text/plain; charset=utf-8"], body: .bytes(buffer))
        }
    }
}
