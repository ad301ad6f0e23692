import Logging
import NIOCore
import ZeroDTHTTP

/// Formats one access-log line per request through swift-log.
struct AccessLogger: Sendable {
    let logger: Logger
    let server: String

    private static func describe(_ address: SocketAddress?) -> String {
        guard let address else { return "-" }
        switch address {
        case .unixDomainSocket: return "unix"
        case .v4: return "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
        case .v6: return "[\(address.ipAddress ?? "?")]:\(address.port ?? 0)"
        }
    }

    func log(_ entry: AccessLogEntry) {
        let milliseconds = Double(entry.duration.components.attoseconds) / 1e15
            + Double(entry.duration.components.seconds) * 1000
        logger.info("\"\(entry.method.rawValue) \(entry.target) HTTP/\(entry.version.major).\(entry.version.minor)\" \(entry.status) \(entry.bytes)", metadata: [
            "server": "\(server)",
            "remote": "\(Self.describe(entry.remoteAddress))",
            "ms": "\((milliseconds * 1000).rounded() / 1000)",
        ])
    }
}
