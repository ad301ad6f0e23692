import Logging
import ZeroDT
import ZeroDTHTTP

/// An HTTP server that logs `serving` once it really accepts, which is the line operators
/// and tests wait for.
struct AnnouncedServer: RestartableServer {
    let server: HTTPServer
    let config: ServerConfig
    let logger: Logger

    func start() async throws {
        try await server.start()
    }

    func startAccepting() {
        server.startAccepting()
        logger.info("serving", metadata: [
            "server": "\(config.name)",
            "listen": "\(config.listen.map { "\($0.address)" }.joined(separator: ","))",
        ])
    }

    func stopAccepting() async {
        await server.stopAccepting()
    }

    func drain() async {
        await server.drain()
    }

    func resumeAccepting() async throws {
        try await server.resumeAccepting()
        logger.info("serving again", metadata: ["server": "\(config.name)"])
    }
}
