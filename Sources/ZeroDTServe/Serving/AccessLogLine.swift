#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import ZeroDTHTTP

/// One line of an access log file (`log.access.file`) in the format nginx users parse:
/// `common`, `combined`, or a JSON object. Values from the request are escaped as nginx
/// escapes them (`AccessLogger.escaped`), so that no client can end a field early or forge
/// a line.
enum AccessLogLine {
    static func format(_ entry: AccessLogEntry, server: String, as format: LogConfig.AccessFormat,
                       now: timespec = LogTime.now()) -> String {
        let version = "HTTP/\(entry.version.major).\(entry.version.minor)"
        switch format {
        case .common, .combined:
            var line = "\(remote(entry.remoteAddress)) - - [\(LogTime.nginx(now))] "
                + "\"\(AccessLogger.escaped(entry.method.rawValue)) \(AccessLogger.escaped(entry.target)) \(version)\" "
                + "\(entry.status) \(entry.bytes)"
            if format == .combined {
                line += " \"\(AccessLogger.escaped(entry.referer ?? "-"))\" \"\(AccessLogger.escaped(entry.userAgent ?? "-"))\""
            }
            return line + "\n"
        case .json:
            let seconds = Double(entry.duration.components.seconds) + Double(entry.duration.components.attoseconds) / 1e18
            var fields: [(String, String)] = [
                ("time", LineLogHandler.jsonString(LogTime.iso(now))),
                ("remote", LineLogHandler.jsonString(remote(entry.remoteAddress))),
                ("method", LineLogHandler.jsonString(entry.method.rawValue)),
                ("target", LineLogHandler.jsonString(entry.target)),
                ("protocol", LineLogHandler.jsonString(version)),
                ("scheme", LineLogHandler.jsonString(entry.isSecure ? "https" : "http")),
                ("status", "\(entry.status)"),
                ("bytes", "\(entry.bytes)"),
                ("request_time", String(format: "%.6f", seconds)),
                ("server", LineLogHandler.jsonString(server)),
            ]
            if let route = entry.route { fields.append(("route", LineLogHandler.jsonString(route))) }
            if let referer = entry.referer { fields.append(("referer", LineLogHandler.jsonString(referer))) }
            if let userAgent = entry.userAgent { fields.append(("user_agent", LineLogHandler.jsonString(userAgent))) }
            return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}\n"
        }
    }

    /// nginx's `$remote_addr`: the address without the port.
    private static func remote(_ address: SocketAddress?) -> String {
        switch address {
        case .v4, .v6: return address?.ipAddress ?? "-"
        case .unixDomainSocket: return "unix:"
        case nil: return "-"
        }
    }
}
