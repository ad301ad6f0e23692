import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
@testable import ZeroDTHTTP

/// `AsyncHandler`: the bridge from async code to the event-loop handler protocol.
struct AsyncHandlerTests {
    static func request() -> HTTPRequest {
        HTTPRequest(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/x"), path: "/x", query: nil)
    }

    static func respond(_ handler: AsyncHandler, on eventLoop: any EventLoop) async throws -> HTTPResponse {
        let context = HTTPRequestContext(eventLoop: eventLoop, serverName: "test", remoteAddress: nil)
        guard case .deferred(let future) = handler.respond(to: request(), context: context) else {
            Issue.record("an async handler must defer")
            return HTTPResponse(status: .imATeapot)
        }
        return try await future.get()
    }

    @Test func returnsWhatTheBodyReturns() async throws {
        let handler = AsyncHandler(label: "test", logger: Logger(label: "test")) { request, context in
            HTTPResponse(status: .accepted, text: "\(request.path) on \(context.serverName)")
        }
        let response = try await Self.respond(handler, on: MultiThreadedEventLoopGroup.singleton.next())
        #expect(response.status == .accepted)
        #expect(response.bodyCount == "/x on test".utf8.count)
    }

    @Test func throwingBodyBecomesA500() async throws {
        struct Boom: Error {}
        let handler = AsyncHandler(label: "test", logger: Logger(label: "test")) { _, _ in throw Boom() }
        let response = try await Self.respond(handler, on: MultiThreadedEventLoopGroup.singleton.next())
        #expect(response.status == .internalServerError)
    }

    @Test(.timeLimit(.minutes(1))) func bodyRunsOffTheEventLoopAfterRespondReturns() async throws {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let handler = AsyncHandler(label: "test", logger: Logger(label: "test")) { _, context in
            // Held until the test has seen respond() return: respond must not wait for the body.
            for await _ in gate { break }
            return HTTPResponse(status: context.eventLoop.inEventLoop ? .internalServerError : .ok)
        }
        let context = HTTPRequestContext(eventLoop: eventLoop, serverName: "test", remoteAddress: nil)
        let reply = try await eventLoop.submit { handler.respond(to: Self.request(), context: context) }.get()
        guard case .deferred(let future) = reply else {
            Issue.record("an async handler must defer")
            return
        }
        // The loop runs other work while the body waits.
        try await eventLoop.submit {}.get()
        open.yield()
        #expect(try await future.get().status == .ok)
    }
}
