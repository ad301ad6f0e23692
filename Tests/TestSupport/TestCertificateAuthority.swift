import Foundation

/// A throwaway certificate authority made with the `openssl` command in a directory of its
/// own: leaf certificates with the DNS names a test asks for, valid for a number of days or
/// over exact dates (expired ones, ones not valid yet), each with a new serial number.
///
/// `openssl ca` rather than `openssl x509 -req`: OpenSSL 3.0 (Debian 12) can only set exact
/// start and end dates through `ca`.
public struct TestCertificateAuthority: Sendable {
    /// A leaf's files.
    public struct Leaf: Sendable {
        /// The chain file: the leaf, then the CA certificate.
        public var cert: String
        /// Its private key.
        public var key: String
        /// The serial number as `openssl x509 -serial` prints it (upper-case hex).
        public var serial: String
    }

    /// Why `openssl` failed.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Where the CA's files (and, by default, the leaves) are.
    public let directory: String
    /// The CA certificate, for `curl --cacert` and `openssl s_client -CAfile`.
    public var certificate: String { directory + "/ca.pem" }

    /// Makes a CA in `directory`, which must exist.
    public init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory + "/issued", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: directory + "/index.txt", contents: Data())
        try Data("1000\n".utf8).write(to: URL(fileURLWithPath: directory + "/serial"))
        try Data(Self.configuration(directory).utf8).write(to: URL(fileURLWithPath: directory + "/ca.cnf"))
        try Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-keyout", directory + "/ca.key", "-out", certificate, "-subj", "/CN=ZeroDT Test CA",
                          "-days", "30"])
    }

    /// A leaf for `dnsNames`, valid from an hour ago for `days` days, written as
    /// `NAME.pem` and `NAME.key` in `directory` (the CA's by default).
    @discardableResult
    public func leaf(_ name: String, dnsNames: [String], days: Int = 30, in directory: String? = nil) throws -> Leaf {
        let start = Date().addingTimeInterval(-3600)
        return try leaf(name, dnsNames: dnsNames, from: start, until: start.addingTimeInterval(Double(days) * 86400 + 3600),
                        in: directory)
    }

    /// A leaf for `dnsNames` valid from `start` until `end`.
    @discardableResult
    public func leaf(_ name: String, dnsNames: [String], from start: Date, until end: Date,
                     in directory: String? = nil) throws -> Leaf {
        let out = directory ?? self.directory
        let base = out + "/" + name
        let extensions = base + ".ext"
        let names = dnsNames.map { "DNS:\($0)" }.joined(separator: ",")
        try Data("subjectAltName=\(names)\n".utf8).write(to: URL(fileURLWithPath: extensions))
        try Self.openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                          "-keyout", base + ".key", "-out", base + ".csr", "-subj", "/CN=\(dnsNames.first ?? name)"])
        let leafOnly = base + ".leaf.pem"
        try Self.openssl(["ca", "-batch", "-notext", "-config", self.directory + "/ca.cnf", "-in", base + ".csr",
                          "-out", leafOnly, "-extfile", extensions,
                          "-startdate", Self.asn1Time(start), "-enddate", Self.asn1Time(end)])
        let chain = try String(contentsOfFile: leafOnly, encoding: .utf8) + String(contentsOfFile: certificate, encoding: .utf8)
        try Data(chain.utf8).write(to: URL(fileURLWithPath: base + ".pem"))
        let serial = try Self.openssl(["x509", "-in", leafOnly, "-noout", "-serial"])
        for scratch in [extensions, base + ".csr", leafOnly] { try? FileManager.default.removeItem(atPath: scratch) }
        return Leaf(cert: base + ".pem", key: base + ".key",
                    serial: serial.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: ""))
    }

    /// `YYYYMMDDHHMMSSZ`, as `openssl ca` takes dates.
    public static func asn1Time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss'Z'"
        return formatter.string(from: date)
    }

    /// Runs `openssl` with `arguments`; returns what it printed.
    @discardableResult
    public static func openssl(_ arguments: [String], input: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let output = Pipe()
        let errors = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "openssl \(arguments.joined(separator: " ")) failed: "
                          + String(decoding: complaint, as: UTF8.self))
        }
        return String(decoding: printed, as: UTF8.self)
    }

    private static func configuration(_ directory: String) -> String {
        """
        [ca]
        default_ca = test_ca
        [test_ca]
        database = \(directory)/index.txt
        new_certs_dir = \(directory)/issued
        serial = \(directory)/serial
        certificate = \(directory)/ca.pem
        private_key = \(directory)/ca.key
        default_md = sha256
        policy = any_name
        unique_subject = no
        copy_extensions = none
        [any_name]
        commonName = supplied

        """
    }
}
