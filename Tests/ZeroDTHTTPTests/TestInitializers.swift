import Logging
import NIOCore

@testable import ZeroDTHTTP

// Shorthands the tests use; serving makes one `Settings` per server and shares it.

extension HTTPConnectionStateMachine {
    init(configuration: HTTPServerConfiguration, now: NIODeadline) {
        self.init(settings: Settings(configuration, logger: Logger(label: "test")), now: now)
    }
}

extension HTTPConnectionHandler {
    /// A connection of a listener with one server, which takes every host. Its writes reach
    /// the channel as they do a plain connection's socket, unless `writesReachSocket` is false
    /// (a handler in front holds them).
    convenience init(configuration: HTTPServerConfiguration, routes: RoutingTable, serverName: String,
                     monitor: RequestLineMonitor, accessLog: (@Sendable (AccessLogEntry) -> Void)?,
                     writesReachSocket: Bool = true, logger: Logger) {
        self.init(settings: HTTPConnectionStateMachine.Settings(configuration, logger: logger),
                  hosts: VirtualHosts(VirtualServer(name: serverName, routes: routes, accessLog: accessLog)),
                  monitor: monitor, writesReachSocket: writesReachSocket)
    }
}
