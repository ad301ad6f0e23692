import Foundation

extension ServeTests {
    /// Serves `site`'s directory under `/files/` at `address` (one server, no access log),
    /// with `server` added to the server's entry (timeouts, say).
    static func serveFiles(_ site: TestSite, at address: TestAddress, server: String = "") throws -> RunningProcess {
        try site.serve("""
            servers:
              - name: web
                listen: ["\(address)"]
            \(server)
                routes:
                  - path: /files/
                    static: { root: \(site.directory) }
            log: { access: false }
            """)
    }
}
