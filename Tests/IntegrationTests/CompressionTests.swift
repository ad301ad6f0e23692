import Foundation
import Testing

/// `precompressed:` and `encode:` through the binary, with curl as the client.
@Suite(.serialized) struct CompressionTests {
    /// Text long enough to be compressed, with a line that shows where a range falls.
    static let text = (0..<4000).map { "line \($0) of a compressible text file\n" }.joined()

    /// What curl received: the last header block (names lower-cased) and the body.
    struct Fetched {
        var statusLine: String
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// curl `url` with `options`; `--compressed` makes curl decode the body.
    static func fetch(_ url: String, _ options: [String] = [], in site: TestSite) throws -> Fetched {
        let headerFile = site.path("headers.txt"), bodyFile = site.path("body.bin")
        try? FileManager.default.removeItem(atPath: bodyFile)
        let output = try TLSTestClients.curl(options + ["--dump-header", headerFile, "--output", bodyFile, url])
        #expect(output.status == 0, "\(output)")
        let raw = try String(contentsOfFile: headerFile, encoding: .utf8)
        // Only the final response's block (curl writes interim ones first).
        let block = raw.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }.last ?? ""
        let lines = block.components(separatedBy: "\r\n")
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        return Fetched(statusLine: lines.first ?? "", status: status, headers: headers, body: FileManager.default.contents(atPath: bodyFile) ?? Data())
    }

    /// gzip's own output for `name`, next to it as `name.gz`.
    static func gzip(_ name: String, in site: TestSite) throws -> Data {
        let output = try RunningProcess.run("/usr/bin/env", arguments: ["gzip", "--keep", "--force", "-9", site.path(name)])
        #expect(output.status == 0, "\(output)")
        return try #require(FileManager.default.contents(atPath: site.path(name + ".gz")))
    }

    static let routes = """
          - { path: /static/, static: { root: public, precompressed: [br, zstd, gzip] } }
          - path: /encoded/
            static: public
            encode: gzip
          - path: /fixed
            respond: { body: "\(String(repeating: "fixed body ", count: 100))", content_type: text/plain }
            encode: [gzip]
          - path: /no-transform
            respond:
              body: "\(String(repeating: "fixed body ", count: 100))"
              content_type: text/plain
              headers: { Cache-Control: no-transform }
            encode: [gzip]
    """

    static func prepare(_ site: TestSite) throws -> Data {
        try FileManager.default.createDirectory(atPath: site.path("public/docs"), withIntermediateDirectories: true)
        _ = try site.write("public/app.txt", text)
        _ = try site.write("public/app.txt.br", "pretend brotli")
        _ = try site.write("public/small.txt", "small\n")
        _ = try site.write("public/docs/index.html", "<h1>" + text + "</h1>")
        _ = try gzip("public/docs/index.html", in: site)
        return try gzip("public/app.txt", in: site)
    }

    /// `routes` served over plain HTTP on a free loopback port.
    static func serve(_ site: TestSite) throws -> (RunningProcess, Int) {
        let port = try LoopbackPort.free()
        return (try serve(site, listen: "[127.0.0.1:\(port)]"), port)
    }

    /// `routes` (a route list, as `Self.routes`) on `listen` (its YAML value, spliced into the
    /// server), with `top` at the top level.
    static func serve(_ site: TestSite, listen: String, routes: String = routes, top: String = "") throws
        -> RunningProcess
    {
        try site.serve("""
            servers:
              - name: web
                listen: \(listen)
                routes:
            \(routes)
            \(top)
            """)
    }

    /// `routes` over TLS (`site.pem`) on `https`'s port.
    static func serve(_ https: TLSTests.HTTPSSite, routes: String = routes, top: String = "") throws
        -> RunningProcess
    {
        try serve(https.site, listen: "[{address: \"127.0.0.1:\(https.port)\", "
                  + "tls: {certificates: [{cert: site.pem, key: site.key}]}}]", routes: routes, top: top)
    }

    @Test func precompressedSiblingsAreNegotiatedWithTagsRangesAndHead() throws {
        let site = try TestSite()
        let gzipped = try Self.prepare(site)
        let (process, port) = try Self.serve(site)
        defer { process.kill() }
        let url = "http://127.0.0.1:\(port)/static/app.txt"

        let gzip = try Self.fetch(url, ["--header", "Accept-Encoding: gzip, br;q=0.5"], in: site)
        #expect(gzip.status == 200)
        #expect(gzip.body == gzipped)
        #expect(gzip.headers["content-encoding"] == "gzip")
        #expect(gzip.headers["content-type"] == "text/plain; charset=utf-8")
        #expect(gzip.headers["vary"] == "Accept-Encoding")
        #expect(gzip.headers["content-length"] == String(gzipped.count))
        let decoded = try Self.fetch(url, ["--compressed", "--header", "Accept-Encoding: gzip"], in: site)
        #expect(decoded.text == Self.text, "curl --compressed decodes the gzip sibling")

        let brotli = try Self.fetch(url, ["--header", "Accept-Encoding: gzip;q=0.5, BR"], in: site)
        #expect(brotli.text == "pretend brotli")
        #expect(brotli.headers["content-encoding"] == "br")
        for refusal in ["gzip;q=0, br;q=0", "identity", "zstd", "*;q=0, identity"] {
            let identity = try Self.fetch(url, ["--header", "Accept-Encoding: \(refusal)"], in: site)
            #expect(identity.text == Self.text, "\(refusal)")
            #expect(identity.headers["content-encoding"] == nil, "\(refusal)")
            #expect(identity.headers["vary"] == "Accept-Encoding", "\(refusal)")
        }

        let gzipTag = try #require(gzip.headers["etag"])
        let identityTag = try #require(try Self.fetch(url, [], in: site).headers["etag"])
        #expect(gzipTag != identityTag)
        let notModified = try Self.fetch(url, ["--header", "Accept-Encoding: gzip", "--header",
                                               "If-None-Match: \(gzipTag)"], in: site)
        #expect(notModified.status == 304)
        #expect(notModified.headers["etag"] == gzipTag)
        #expect(try Self.fetch(url, ["--header", "If-None-Match: \(gzipTag)"], in: site).status == 200,
                "the gzip tag does not validate the identity file")

        let range = try Self.fetch(url, ["--header", "Accept-Encoding: gzip", "--range", "10-19"], in: site)
        #expect(range.status == 206)
        #expect(range.body == gzipped[10...19])
        #expect(range.headers["content-range"] == "bytes 10-19/\(gzipped.count)")
        #expect(range.headers["content-encoding"] == "gzip")

        let head = try Self.fetch(url, ["--head", "--header", "Accept-Encoding: gzip"], in: site)
        #expect(head.headers["content-length"] == String(gzipped.count))
        #expect(head.headers["content-encoding"] == "gzip")

        let index = try Self.fetch("http://127.0.0.1:\(port)/static/docs/",
                                   ["--compressed", "--header", "Accept-Encoding: gzip"], in: site)
        #expect(index.headers["content-encoding"] == "gzip")
        #expect(index.text == "<h1>" + Self.text + "</h1>")
    }

    @Test func encodeCompressesOnTheFlyButNotSmallRangedOrNoTransformBodies() throws {
        let site = try TestSite()
        _ = try Self.prepare(site)
        let (process, port) = try Self.serve(site)
        defer { process.kill() }
        let base = "http://127.0.0.1:\(port)"

        let file = try Self.fetch(base + "/encoded/app.txt", ["--compressed"], in: site)
        #expect(file.text == Self.text)
        #expect(file.headers["content-encoding"] == "gzip")
        #expect(file.headers["vary"] == "Accept-Encoding")
        #expect(file.headers["etag"]?.hasPrefix("W/\"") == true)
        // Above the one-shot size: streamed, chunked (`CompressionTests.Streaming`).
        #expect(Self.text.utf8.count > 128 * 1024 && file.headers["transfer-encoding"] == "chunked")
        let head = try Self.fetch(base + "/encoded/app.txt", ["--head", "--compressed"], in: site)
        #expect(head.headers["content-length"] == nil, "the length of a streamed body is not known")
        #expect(head.headers["content-encoding"] == "gzip")
        #expect(head.headers["etag"] == file.headers["etag"])
        let notModified = try Self.fetch(base + "/encoded/app.txt", [
            "--compressed", "--header", "If-None-Match: \(file.headers["etag"] ?? "")"], in: site)
        #expect(notModified.status == 304)

        let fixed = try Self.fetch(base + "/fixed", ["--compressed"], in: site)
        #expect(fixed.headers["content-encoding"] == "gzip")
        #expect(fixed.headers["content-length"].flatMap { Int($0) }.map { $0 < 1100 } == true,
                "compressed at once, sent with its length")
        #expect(fixed.text == String(repeating: "fixed body ", count: 100))

        let plain = try Self.fetch(base + "/encoded/app.txt", [], in: site)
        #expect(plain.headers["content-encoding"] == nil, "no Accept-Encoding, no coding")
        #expect(plain.text == Self.text)
        let small = try Self.fetch(base + "/encoded/small.txt", ["--compressed"], in: site)
        #expect(small.headers["content-encoding"] == nil)
        #expect(small.text == "small\n")
        let range = try Self.fetch(base + "/encoded/app.txt", ["--compressed", "--range", "0-9"], in: site)
        #expect(range.status == 206)
        #expect(range.headers["content-encoding"] == nil)
        #expect(range.text == "line 0 of ")
        let kept = try Self.fetch(base + "/no-transform", ["--compressed"], in: site)
        #expect(kept.headers["content-encoding"] == nil)
        #expect(kept.text == String(repeating: "fixed body ", count: 100))
    }

    @Test func bothWorkOverHTTP2() throws {
        let https = try TLSTests.HTTPSSite(certificates: ["site"])
        let site = https.site
        let gzipped = try Self.prepare(site)
        let process = try Self.serve(https)
        defer { process.kill() }
        func fetch(_ path: String, _ options: [String]) throws -> Fetched {
            try Self.fetch("https://site.test:\(https.port)\(path)", ["--http2", "--cacert", https.ca.certificate,
                                                                     "--resolve", "site.test:\(https.port):127.0.0.1"]
                                                                    + options, in: site)
        }
        let precompressed = try fetch("/static/app.txt", ["--header", "Accept-Encoding: gzip"])
        #expect(precompressed.body == gzipped)
        #expect(precompressed.headers["content-encoding"] == "gzip")
        let encoded = try fetch("/encoded/app.txt", ["--compressed"])
        #expect(encoded.statusLine.hasPrefix("HTTP/2 200"), "\(encoded.statusLine)")
        #expect(encoded.headers["content-encoding"] == "gzip")
        #expect(encoded.text == Self.text)
        let head = try fetch("/encoded/app.txt", ["--head", "--compressed"])
        #expect(head.headers["content-encoding"] == "gzip" && head.headers["content-length"] == nil)
    }
}
