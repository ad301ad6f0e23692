import Foundation
import Testing

extension ServeTests {
    /// The kinds of `listen:` address, and a port that cannot be bound.
    @Suite struct Listeners {
        private static let get = "GET /hello HTTP/1.1\r\nHost: test\r\n\r\n"

        @Test func servesOnIPv6Loopback() throws {
            let site = try TestSite()
            let address = TestAddress.tcp(host: "::1", port: try LoopbackPort.free(host: "::1"))
            let process = try site.serve(ServeTests.config(listen: [address]))
            #expect(try HTTPTestClient(connectingTo: address).exchange(Self.get).text == "hello\n")
            #expect(try ServeTests.stop(process).status == 0)
        }

        @Test func servesOnAUnixSocketAndRemovesItAtExit() throws {
            let site = try TestSite()
            let path = site.path("web.sock")
            let unix = TestAddress.unix(path: path)
            let tcp = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let process = try site.serve(ServeTests.config(listen: [unix, tcp]))
            #expect(try HTTPTestClient(connectingTo: unix).exchange(Self.get).text == "hello\n")
            #expect(try HTTPTestClient(connectingTo: tcp).exchange(Self.get).text == "hello\n")
            #expect(FileManager.default.fileExists(atPath: path))
            let output = try ServeTests.stop(process)
            #expect(output.status == 0, "\(output)")
            #expect(!FileManager.default.fileExists(atPath: path))
        }

        @Test func portInUseExits1NamingServerAndAddress() throws {
            let occupied = try ListeningTestSocket(host: "127.0.0.1", port: 0)
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: occupied.port)
            let process = try site.launch(ServeTests.config(listen: [address]))
            let output = try process.waitForExit()
            #expect(output.status == 1 && !output.signalled, "\(output)")
            #expect(output.standardOutput == "")
            let lines = output.standardError.split(separator: "\n")
            #expect(lines.count == 1, "\(output)")
            let line = try #require(lines.first)
            #expect(line.contains(" error [gen 1 pid \(process.pid)] "), "\(line)")
            #expect(line.contains("server 'web': cannot listen on 127.0.0.1:\(occupied.port)"), "\(line)")
            #expect(line.contains("in use"), "\(line)")
        }
    }
}
