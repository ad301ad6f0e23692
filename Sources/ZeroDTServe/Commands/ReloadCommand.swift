import ArgumentParser
import Foundation
import ZeroDT

/// `zerodt-serve reload`: zero-downtime restart of the running instance, waiting for the outcome.
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Restart the running server with zero downtime and wait for the outcome.",
        discussion: """
            Uses the config's control socket when it declares one; otherwise sends SIGHUP to the pid in \
            its pid file and waits for a new pid to take over. Exits 0 when the new generation serves, \
            1 with the reason (for a bad config, its diagnostics) when the restart failed.
            """
    )

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let server = try RunningServer.load(options)
        let timeout = server.site.restart.waitChild + .seconds(10)
        try CommandFailure.report {
            if let client = try server.controlClient() {
                let reply = try client.send(.reload, timeout: timeout)
                guard reply.ok else { throw CommandFailure("reload failed: \(reply.message)") }
                print("reloaded: \(reply.message)")
                return
            }
            let old = try server.pidFromFile()
            kill(old, SIGHUP)
            let new = RunningServer.poll(timeout: timeout) { () -> Int32? in
                guard let pid = try? server.pidFromFile(), pid != old else { return nil }
                return pid
            }
            guard let new else {
                throw CommandFailure("no new generation took over from pid \(old) within \(timeout.components.seconds)s; "
                                     + "the server's log says why (add 'control:' to the config to get the reason here)")
            }
            print("reloaded: pid \(new) took over from pid \(old)")
        }
    }
}
