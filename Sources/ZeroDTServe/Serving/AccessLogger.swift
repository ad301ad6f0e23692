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
        // Only when it is not plain HTTP, so that the lines of plain listeners stay as they were.
        if entry.isSecure { metadata["scheme"] = "https" }
        if structured {
            metadata["method"] = "\(entry.method.rawValue)"
            metadata["target"] = "\(entry.target)"
            metadata["version"] = "\(version)"
            metadata["status"] = .stringConvertible(entry.status)
            metadata["bytes"] = .stringConvertible(entry.bytes)
        }
        // JSON escapes the message itself; escaping it for a text line first would double it.
        let method = structured ? entry.method.rawValue : Self.escaped(entry.method.rawValue)
        let target = structured ? entry.target : Self.escaped(entry.target)
        logger.info("\"\(method) \(target) \(version)\" \(entry.status) \(entry.bytes)", metadata: metadata)
    }

    /// `text` safe inside the quoted request line of a text log, as nginx writes it: `"`
    /// and `\` get a backslash, and control characters and bytes beyond ASCII become
    /// `\xHH`, so that a client cannot end the quote early or forge a line of its own.
    static func escaped(_ text: String) -> String {
        let isPlain: (UInt8) -> Bool = { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        guard !text.utf8.allSatisfy(isPlain) else { return text }
        var out = ""
        for byte in text.utf8 {
            if isPlain(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                out += "\\" + String(Unicode.Scalar(byte))
            } else {
                out += "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
