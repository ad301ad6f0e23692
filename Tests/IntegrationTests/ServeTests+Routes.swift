import Foundation
import Testing

extension ServeTests {
    /// What each kind of route answers, and the errors routing itself produces.
    @Suite struct Routes {
        @Test func respondRouteSendsItsStatusBodyAndHeaders() throws {
            try ServeTests.withServer { address in
                let response = try ServeTests.get("/hello", from: address)
                #expect(response.version == "HTTP/1.1")
                #expect(response.status == 201)
                #expect(response.reason == "Created")
                #expect(response.text == "hello\n")
                #expect(response.headers["Content-Length"] == "6")
                #expect(response.headers["Content-Type"] == "text/x-greeting")
                #expect(response.headers["X-Test"] == "one")
                #expect(response.headers["Cache-Control"] == "no-store")
                #expect(response.headers["Server"] == "zerodt")
                #expect(response.headers["Connection"] == nil, "HTTP/1.1 keeps the connection by default")
                let date = try #require(response.headers["Date"])
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_US_POSIX")
                formatter.timeZone = TimeZone(identifier: "GMT")
                formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
                let sent = try #require(formatter.date(from: date), "an IMF-fixdate: \(date)")
                #expect(abs(sent.timeIntervalSinceNow) < 5)
            }
        }

        @Test func headGetsTheHeadersOfGetWithoutBody() throws {
            try ServeTests.withServer { address in
                let client = try HTTPTestClient(connectingTo: address)
                let head = try client.exchange("HEAD /hello HTTP/1.1\r\nHost: test\r\n\r\n", method: "HEAD")
                #expect(head.status == 201)
                #expect(head.headers["Content-Length"] == "6")
                #expect(head.body.isEmpty)
                // The next response would be garbled had HEAD sent a body.
                #expect(try client.exchange("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n").text == "hello\n")
            }
        }

        @Test func redirectRouteSendsItsStatusAndLocation() throws {
            try ServeTests.withServer { address in
                let response = try ServeTests.get("/old?x=1", from: address)
                #expect(response.status == 301)
                #expect(response.headers["Location"] == "/new", "a target without '/' at the end is used as is")
                #expect(response.headers["Content-Length"] == String(response.body.count))
            }
        }

        @Test func subtreeRedirectKeepsTheRestOfThePathAndTheQuery() throws {
            try ServeTests.withServer { address in
                let response = try ServeTests.get("/moved/a/b%20c.html?q=1&r=2", from: address)
                #expect(response.status == 308)
                #expect(response.headers["Location"] == "https://new.example/a/b%20c.html?q=1&r=2")
                let root = try ServeTests.get("/moved/", from: address)
                #expect(root.headers["Location"] == "https://new.example/")
            }
        }

        @Test func subtreeWithoutItsSlashRedirectsToTheSlashForm() throws {
            try ServeTests.withServer { address in
                let response = try ServeTests.get("/docs?page=2", from: address)
                #expect(response.status == 301)
                #expect(response.headers["Location"] == "/docs/?page=2")
                #expect(try ServeTests.get("/docs/", from: address).text == "docs\n")
                #expect(try ServeTests.get("/docs/deep/page", from: address).text == "docs\n")
            }
        }

        @Test func theSlashRedirectNeverLeavesThisHost() throws {
            try ServeTests.withServer { address in
                // Normalizes to /docs, but a Location built from the raw target would be
                // `//evil.example/..%2Fdocs/`, which browsers follow off-site.
                let response = try ServeTests.get("//evil.example/..%2Fdocs", from: address)
                #expect(response.status == 301)
                #expect(response.headers["Location"] == "/evil.example/..%2Fdocs/")
            }
        }

        @Test func unknownPathIs404AndKeepsTheConnection() throws {
            try ServeTests.withServer { address in
                let client = try HTTPTestClient(connectingTo: address)
                let response = try client.exchange("GET /nowhere HTTP/1.1\r\nHost: test\r\n\r\n")
                #expect(response.status == 404)
                #expect(response.headers["Connection"] == nil)
                #expect(try client.exchange("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n").status == 201)
            }
        }

        @Test func methodARedirectDoesNotAllowIs405WithAllow() throws {
            try ServeTests.withServer { address in
                let client = try HTTPTestClient(connectingTo: address)
                let response = try client.exchange("TRACE /old HTTP/1.1\r\nHost: test\r\n\r\n")
                #expect(response.status == 405)
                #expect(response.headers["Allow"] == "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
            }
        }

        @Test func respondRouteAnswersAnyKnownMethod() throws {
            try ServeTests.withServer { address in
                let client = try HTTPTestClient(connectingTo: address)
                for method in ["POST", "DELETE", "OPTIONS", "TRACE"] {
                    let response = try client.exchange("\(method) /hello HTTP/1.1\r\nHost: test\r\n\r\n")
                    #expect(response.status == 201, "\(method)")
            }
            }
        }

        @Test func unknownMethodIs501AndCloses() throws {
            try ServeTests.withServer { address in
                let client = try HTTPTestClient(connectingTo: address)
                let response = try client.exchange("BREW /hello HTTP/1.1\r\nHost: test\r\n\r\n")
                #expect(response.status == 501)
                #expect(response.headers["Connection"] == "close")
                #expect(client.waitForClose() == .endOfFile(received: []))
            }
        }
    }
}
