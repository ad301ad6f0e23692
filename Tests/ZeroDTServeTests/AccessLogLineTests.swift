#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import ZeroDTHTTP
@testable import ZeroDTServe

/// Access log file lines, as nginx writes them, with what a client sends escaped.
@Suite struct AccessLogLineTests {
    static let when = timespec(tv_sec: 1_796_037_600, tv_nsec: 250_000_000)  // 2026-11-30T11:20:00.250Z

    static func entry(target: String = "/a?b=1", referer: String? = nil, userAgent: String? = nil) throws -> AccessLogEntry {
        var headers = HTTPHeaders()
        if let referer { headers.add(name: "Referer", value: referer) }
        if let userAgent { headers.add(name: "User-Agent", value: userAgent) }
        return AccessLogEntry(remoteAddress: try SocketAddress(ipAddress: "192.0.2.7", port: 4711), isSecure: true,
                       method: .GET, target: target, version: .http1_1, status: 200, bytes: 512,
                       duration: .milliseconds(3), route: "/", requestHeaders: headers)
    }

    @Test func commonAndCombinedAreNginxsFormats() throws {
        let entry = try Self.entry(referer: "https://r.example/", userAgent: "curl/8")
        #expect(AccessLogLine.format(entry, server: "web", as: .common, now: Self.when)
            == "192.0.2.7 - - [30/Nov/2026:11:20:00 +0000] \"GET /a?b=1 HTTP/1.1\" 200 512\n")
        #expect(AccessLogLine.format(entry, server: "web", as: .combined, now: Self.when)
            == "192.0.2.7 - - [30/Nov/2026:11:20:00 +0000] \"GET /a?b=1 HTTP/1.1\" 200 512 \"https://r.example/\" \"curl/8\"\n")
        let bare = try Self.entry()
        #expect(AccessLogLine.format(bare, server: "web", as: .combined, now: Self.when).hasSuffix("512 \"-\" \"-\"\n"))
    }

    @Test func whatAClientSendsCannotEndAFieldOrALine() throws {
        let entry = try Self.entry(target: "/x\"y\n", userAgent: "a\" \"b\r\nforged")
        let line = AccessLogLine.format(entry, server: "web", as: .combined, now: Self.when)
        #expect(line == "192.0.2.7 - - [30/Nov/2026:11:20:00 +0000] \"GET /x\\\"y\\x0A HTTP/1.1\" 200 512 \"-\" \"a\\\" \\\"b\\x0D\\x0Aforged\"\n")
        #expect(line.filter { $0 == "\n" }.count == 1)
    }

    @Test func jsonCarriesTheTimeTakenProtocolServerAndRoute() throws {
        let entry = try Self.entry(userAgent: "ua\n")
        let line = AccessLogLine.format(entry, server: "web", as: .json, now: Self.when)
        #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["time"] as? String == "2026-11-30T11:20:00.250Z")
        #expect(object["remote"] as? String == "192.0.2.7")
        #expect(object["protocol"] as? String == "HTTP/1.1" && object["scheme"] as? String == "https")
        #expect(object["status"] as? Int == 200 && object["bytes"] as? Int == 512)
        #expect(object["request_time"] as? Double == 0.003)
        #expect(object["server"] as? String == "web" && object["route"] as? String == "/")
        #expect(object["user_agent"] as? String == "ua\n")
        #expect(object["referer"] == nil)
    }
}
