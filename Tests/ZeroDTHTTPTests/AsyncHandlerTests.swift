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

    @Test func slowBodyLeavesTheEventLoopFree() async throws {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let handler = AsyncHandler(label: "test", logger: Logger(label: "test")) { _, _ in
            try await Task.sleep(for: .milliseconds(500))
            return HTTPResponse(status: .ok)
        }
        let clock = ContinuousClock()
        let started = clock.now
        let context = HTTPRequestContext(eventLoop: eventLoop, serverName: "test", remoteAddress: nil)
        guard case .deferred(let future) = handler.respond(to: Self.request(), context: context) else {
            Issue.record("an async handler must defer")
            return
        }
        // The loop runs other work while the handler sleeps.
        try await eventLoop.submit {}.get()
        #expect(clock.now - started < .milliseconds(400))
        #expect(try await future.get().status == .ok)
        #expect(clock.now - started >= .milliseconds(500))
    }
}
