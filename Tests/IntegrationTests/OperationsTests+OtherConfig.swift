import Foundation
import Testing

extension OperationsTests {
    /// `reload --config X` where X is not the file the server runs from: the server re-reads
    /// its own config, so an invalid X must not pass for a successful reload of X.
    @Test func reloadWithAnInvalidOtherConfigWarnsThatTheServerReadsItsOwn() throws {
        let server = try Self.start()
        let other = try server.site.write("other.yaml", """
            servers:
              - name: web
                listen: ["\(server.address)"]
                routes: [{ path: /hello, respnd: hi }]
            pid_file: \(server.site.path("run.pid"))
            control: \(server.control)
            """)
        let reload = try ZeroDTServeBinary.run(["reload", "--config", other], currentDirectory: server.site.directory)
        #expect(reload.status == 0, "\(reload)")
        #expect(reload.standardOutput.hasPrefix("reloaded: "), "\(reload)")
        #expect(reload.standardError.contains("warning: \(other) is invalid"), "\(reload)")
        #expect(reload.standardError.contains("\(other):4:30: error: unknown key 'respnd' in 'route'"), "\(reload)")
        #expect(reload.standardError.contains("the server re-reads the config it was started with"), "\(reload)")
        try server.family.stop()
    }
}
