import Logging
import NIOCore
import ZeroDTHTTP

/// Formats one access-log line per request through swift-log: the request line, status and
/// bytes as the message (readable in text logs) and, for JSON logs, as fields of their own
/// too, so that log pipelines need not parse the message.
struct AccessLogger: Sendable {
    let logger: Logger
    let server: String
    let structured: Bool

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
        let version = "HTTP/\(entry.version.major).\(entry.version.minor)"
        var metadata: Logger.Metadata = [
            "server": "\(server)",
            "remote": "\(Self.describe(entry.remoteAddress))",
            "ms": "\((milliseconds * 1000).rounded() / 1000)",
        ]
        if structured {
            metadata["method"] = "\(entry.method.rawValue)"
            metadata["target"] = "\(entry.target)"
            metadata["version"] = "\(version)"
            metadata["status"] = .stringConvertible(entry.status)
            metadata["bytes"] = .stringConvertible(entry.bytes)
        }
        logger.info("\"\(entry.method.rawValue) \(entry.target) \(version)\" \(entry.status) \(entry.bytes)",
                    metadata: metadata)
    }
}
