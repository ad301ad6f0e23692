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
        announceConnectionLimit()
    }

    /// Says when `max_connections` and the open-file limit do not fit: the default was
    /// capped to leave descriptors for files, or the configured value leaves none.
    private func announceConnectionLimit() {
        guard let soft = ConnectionLimit.softFileLimit() else { return }
        let metadata: Logger.Metadata = ["server": "\(config.name)", "open_file_limit": "\(soft)"]
        if let configured = config.http.maxConnections {
            if configured > ConnectionLimit.safeMaximum(softFileLimit: soft) {
                logger.warning("""
                    max_connections \(configured) leaves too few file descriptors for serving files; \
                    lower it or raise the open-file limit (ulimit -n, LimitNOFILE=)
                    """, metadata: metadata)
            }
        } else if server.maxConnections < ConnectionLimit.defaultMaximum {
            logger.notice("""
                max_connections capped at \(server.maxConnections), below the open-file limit; \
                raise the limit (ulimit -n, LimitNOFILE=) for more
                """, metadata: metadata)
        }
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

    var shutdownDelay: Duration { server.shutdownDelay }

    func resumeAccepting() async throws {
        try await server.resumeAccepting()
        logger.info("serving again", metadata: ["server": "\(config.name)"])
    }
}
