import Foundation
import TestSupport

/// The HTTPS clients the TLS tests drive: curl, and `openssl s_client` to see which
/// certificate a server presents or to hold a connection open across a reload.
enum TLSTestClients {
    /// Runs curl with `arguments` to completion (`--silent --show-error` added).
    static func curl(_ arguments: [String], timeout: Duration = .seconds(20)) throws -> ProcessOutput {
        try RunningProcess.run("/usr/bin/env", arguments: ["curl", "--silent", "--show-error"] + arguments,
                               timeout: timeout)
    }

    /// The serial number of the certificate the server on `port` presents to a client that
    /// asks for `serverName` (none when nil), as `openssl x509 -serial` prints it.
    static func servedSerial(port: Int, serverName: String?) throws -> String {
        let name = serverName.map { ["-servername", $0] } ?? ["-noservername"]
        let handshake = try RunningProcess.run("/usr/bin/env", arguments: ["openssl", "s_client", "-connect",
                                                                           "127.0.0.1:\(port)"] + name)
        let serial = try TestCertificateAuthority.openssl(["x509", "-noout", "-serial"],
                                                          input: handshake.standardOutput)
        return serial.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
    }
}

/// One TLS connection held open by `openssl s_client`: requests are written to its stdin,
/// responses read from its stdout.
final class TLSKeepAliveConnection {
    private let input = Pipe()
    private let process: RunningProcess
    private var answered = 0

    /// Connects to `port` asking for `serverName`, trusting `caFile`.
    init(port: Int, serverName: String, caFile: String) throws {
        process = try RunningProcess(executable: "/usr/bin/env",
                                     arguments: ["openssl", "s_client", "-quiet", "-nocommands", "-verify_return_error",
                                                 "-connect", "127.0.0.1:\(port)", "-servername", serverName,
                                                 "-CAfile", caFile],
                                     standardInput: input.fileHandleForReading)
        try? input.fileHandleForReading.close()
    }

    deinit { process.kill() }

    /// Sends `request` and waits for one more response that ends with `bodySuffix`; returns all
    /// that the connection has received.
    @discardableResult
    func exchange(_ request: String, endingWith bodySuffix: String, timeout: Duration = .seconds(10)) throws -> String {
        input.fileHandleForWriting.write(Data(request.utf8))
        answered += 1
        let expected = answered
        return try process.waitForStandardOutput(toSatisfy: "hold \(expected) responses", timeout: timeout) {
            $0.components(separatedBy: "HTTP/1.1 ").count - 1 >= expected && $0.hasSuffix(bodySuffix)
        }
    }

    /// Whether `s_client` is still connected.
    var isOpen: Bool { process.isRunning }

    /// Waits for the server to close the connection (s_client exits); returns its output.
    func waitForClose(timeout: Duration = .seconds(10)) throws -> ProcessOutput {
        try process.waitForExit(timeout: timeout)
    }
}
