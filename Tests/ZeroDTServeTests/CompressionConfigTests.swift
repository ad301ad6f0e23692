import Testing
import ZeroDTHTTP
@testable import ZeroDTServe

/// What `precompressed:` and `encode:` decode to.
@Suite struct CompressionConfigTests {
    @Test func decodesPrecompressedAndEncodeWithTheirDefaults() throws {
        let base = try TemporaryDirectory()
        defer { base.remove() }
        try base.makeDirectory("public")
        let site = try #require(loadValid("""
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /
                    static: { root: public, precompressed: [br, zstd, gzip] }
                    encode: gzip
                  - path: /api
                    respond: hi
                  - path: /text
                    respond: hi
                    encode: [gzip]
                    encode_min_size: 1KiB
                    encode_level: 6
            """, baseDirectory: base.path))
        let routes = site.servers[0].routes
        guard case .staticFiles(let files) = routes[0].action else {
            Issue.record("expected a static route")
            return
        }
        #expect(files.precompressed == [.br, .zstd, .gzip])
        #expect(routes[0].encoding == EncodingSettings(codings: [.gzip], minimumSize: 512, level: 1))
        #expect(routes[1].encoding == nil)
        #expect(routes[2].encoding == EncodingSettings(codings: [.gzip], minimumSize: 1024, level: 6))
    }
}
