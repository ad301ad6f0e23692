import NIOCore
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// What routing hands a handler.
@Suite struct ResponseScopeTests {
    /// A handler that is not built in, and so may keep its request.
    private struct Keeper: HTTPHandler {
        var allowedMethods: [HTTPMethod]? { nil }
        func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply { .response(.init(status: .ok)) }
    }

    private struct Unexpected: Error {
        var what: String
    }

    /// The request a `Keeper` route gets for the simple head in `bytes`, read as the fast path reads it.
    private static func handlerRequest(for bytes: ByteBuffer) throws -> HTTPRequest {
        guard case .head(let head, _) = SimpleRequestHead.parse(bytes, maxLength: 1024) else {
            throw Unexpected(what: "the fast path did not read \(String(buffer: bytes))")
        }
        let check = RequestHeadCheck(head)
        var scope = ResponseScope(hosts: VirtualHosts(VirtualServer(name: "s", routes: RoutingTable(routes: [
            .init(path: "/", handler: Keeper()),
        ]))))
        scope.choose(host: check.host, serverName: nil)
        guard case .handler(_, let request) = scope.dispatch(head: ReceivedHead(head), host: check.host, body: nil) else {
            throw Unexpected(what: "routing did not hand the request to its handler")
        }
        return request
    }

    /// Its request holds nothing of the buffer the head was read into (its head made NIO's,
    /// its host's name a `String`): a module's handler may keep it for long, and the buffer
    /// is the connection's, up to 64 KiB.
    @Test func aHandlersRequestHoldsNothingOfTheBytesRead() throws {
        var buffer = ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: example.com:8080\r\n\r\n")
        let request = try Self.handlerRequest(for: buffer)
        #expect(request.host == "example.com")
        #expect(request.head.headers["Host"] == ["example.com:8080"])
        // Written in place only when nothing else holds the storage: else it is copied first.
        let before = buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        buffer.setInteger(UInt8(ascii: "P"), at: buffer.readerIndex)
        #expect(buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } == before)
    }
}
