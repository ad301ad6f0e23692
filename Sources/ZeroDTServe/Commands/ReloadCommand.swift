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
            1 with the reason (for a bad config, its diagnostics) when the restart failed. The server \
            re-reads the config path it was started with; when --config names an invalid file that the \
            server did not report, reload says so, since that file is not the one the server read.
            """
    )

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let server = try RunningServer.load(options)
        let timeout = server.waitChild + .seconds(10)
        try CommandFailure.report {
            if let client = try server.controlClient() {
                let reply = try client.send(.reload, timeout: timeout)
                guard reply.ok else {
                    let serving = reply.pid.map { pid in
                        "\n" + (reply.generation.map { "generation \($0) " } ?? "") + "(pid \(pid)) keeps serving"
                    } ?? ""
                    warnIfInvalid(server, unlessIn: reply.message)
                    throw CommandFailure("reload failed: \(reply.message.trimmingCharacters(in: .newlines))\(serving)")
                }
                print("reloaded: \(reply.message)")
                warnIfInvalid(server)
                return
            }
            let old = try server.pidFromFile()
            // The old generation rewrites the pid file with its own pid when the restart fails.
            let version = server.pidFileVersion()
            kill(old, SIGHUP)
            enum Outcome { case tookOver(Int32), failed }
            let outcome = RunningServer.poll(timeout: timeout) { () -> Outcome? in
                if let pid = try? server.pidFromFile(), pid != old { return .tookOver(pid) }
                return server.pidFileVersion() != version ? .failed : nil
            }
            switch outcome {
            case .tookOver(let new):
                print("reloaded: pid \(new) took over from pid \(old)")
                warnIfInvalid(server)
            case .failed:
                var reason = "restart failed; pid \(old) keeps serving. The server's log says why"
                if let diagnostics = server.diagnostics {
                    reason = "restart failed; pid \(old) keeps serving. \(server.file) is invalid:\n"
                        + diagnostics.trimmingCharacters(in: .newlines)
                } else {
                    reason += " (add 'control:' to the config to get the reason here)"
                }
                throw CommandFailure(reason)
            case nil:
                throw CommandFailure("no new generation took over from pid \(old) within \(timeout.components.seconds)s; "
                                     + "the server's log says why (add 'control:' to the config to get the reason here)")
            }
        }
    }

    /// An invalid `--config` file that the server did not complain about is not the file it
    /// read: it restarts with the config path it was started with. Say so, or the reload
    /// would pass for one of this file. `serverMessage` is what the server reported, if it
    /// quoted these same diagnostics there is nothing to add.
    private func warnIfInvalid(_ server: RunningServer, unlessIn serverMessage: String = "") {
        guard let diagnostics = server.diagnostics,
              !serverMessage.contains(diagnostics.trimmingCharacters(in: .newlines))
        else { return }
        Output.standardError("warning: \(server.file) is invalid, so it is not what the server read: "
                             + "the server re-reads the config it was started with\n\(diagnostics)")
    }
}
