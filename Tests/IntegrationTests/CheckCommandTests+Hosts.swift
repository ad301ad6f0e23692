import Foundation
import Testing

/// `check` on servers sharing an address.
extension CheckCommandTests {
    @Test func serversSharingAnAddressCountAsOneListenerAndTwoDefaultsAreAnError() throws {
        let site = try TestSite()
        func server(_ name: String, hosts: String = "") -> String {
            "  - name: \(name)\n    listen: [\":8080\"]\n\(hosts)    routes: [{ path: /, respond: hi }]\n"
        }
        let good = try site.write("good.yaml", "servers:\n" + server("a", hosts: "    hosts: [a.test]\n") + server("b"))
        let ok = try ZeroDTServeBinary.run(["check", "--config", good])
        #expect(ok.status == 0, "\(ok)")
        #expect(ok.standardOutput == "\(good): ok — 2 servers, 1 listener, 2 routes\n")

        let bad = try site.write("bad.yaml", "servers:\n" + server("a") + server("b"))
        let output = try ZeroDTServeBinary.run(["check", "--config", bad])
        #expect(output.status == 1, "\(output)")
        #expect(output.standardError.hasPrefix("""
            \(bad):6:14: error: address :8080 has two default servers: 'a' and 'b' both leave out 'hosts'
            """), "\(output)")
        #expect(output.standardError.contains("\(bad):3:14: note: 'a' declares it here"), "\(output)")
    }
}
