import Foundation

/// A response as `HTTPTestClient` parsed it.
struct HTTPTestResponse: CustomStringConvertible {
    /// Header fields in the order received; lookups ignore case.
    struct Headers {
        var fields: [(name: String, value: String)] = []

        /// The first value of `name`, if any.
        subscript(name: String) -> String? {
            fields.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// `HTTP/1.1` or `HTTP/1.0`.
    var version: String
    var status: Int
    var reason: String
    var headers: Headers
    var body: [UInt8] = []

    var text: String { String(decoding: body, as: UTF8.self) }

    var description: String {
        "\(version) \(status) \(reason)\n" + headers.fields.map { "\($0.name): \($0.value)\n" }.joined() + "\n" + text
    }

    /// Parses a status line and header fields, ending with the blank line.
    init(head: [UInt8]) throws {
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n").dropLast(2)
        guard let statusLine = lines.first else { throw HTTPTestClientError.malformed("empty head") }
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw HTTPTestClientError.malformed("status line \(statusLine.debugDescription)")
        }
        version = String(parts[0])
        self.status = status
        reason = parts.count > 2 ? String(parts[2]) : ""
        headers = Headers()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else {
                throw HTTPTestClientError.malformed("header line \(line.debugDescription)")
            }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.fields.append((String(line[..<colon]), value))
        }
    }
}
