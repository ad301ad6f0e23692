import Foundation
import Testing

extension ServeTests {
    /// `log:` settings through the binary: every line carries the generation and pid, and
    /// `format: json` gives one JSON object per line with the request's fields.
    @Suite struct Logs {
        @Test func jsonLogsAreOneObjectPerLineWithRequestFields() throws {
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let config = ServeTests.config(listen: [address]).replacingOccurrences(
                of: "log: { access: false }", with: "log: { access: true, format: json }")
            let process = try site.launch(config)
            defer { process.kill() }
            try process.waitForStandardError(containing: "\"msg\":\"serving\"")
            #expect(try ServeTests.get("/hello?x=\"q\"", from: address).status == 201)
            let log = try process.waitForStandardError(containing: "\"status\":201")
            var access: [String: Any]?
            for line in log.split(separator: "\n") {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                                          "not a JSON object: \(line)")
                #expect(object["gen"] as? Int == 1)
                #expect(object["pid"] as? Int == Int(process.pid))
                #expect(object["time"] is String && object["level"] is String && object["msg"] is String)
                if object["status"] != nil { access = object }
            }
            let entry = try #require(access)
            #expect(entry["method"] as? String == "GET")
            #expect(entry["target"] as? String == "/hello?x=\"q\"")
            #expect(entry["status"] as? Int == 201)
            #expect(entry["bytes"] as? Int == 6)
            #expect(entry["server"] as? String == "web")
            #expect((entry["remote"] as? String)?.hasPrefix("127.0.0.1:") == true)
        }
    }
}
