import NIOHTTP1

extension DirectoryListing {
    /// The listing as HTML, or as JSON when the request's `Accept` asks for
    /// `application/json` and not for `text/html` (a browser's `*/*` does not count).
    func response(to request: HTTPRequest) -> HTTPResponse {
        let wantsJSON = Self.acceptsJSON(request.head.headers[canonicalForm: "Accept"])
        var headers: HTTPHeaders = ["Vary": "Accept"]
        headers.add(name: "Content-Type", value: wantsJSON ? "application/json" : "text/html; charset=utf-8")
        return HTTPResponse(status: .ok, headers: headers, text: wantsJSON ? json(path: request.path)
                                : html(path: request.path))
    }

    private static func acceptsJSON(_ ranges: [Substring]) -> Bool {
        var json = false
        for range in ranges {
            let parts = range.split(separator: ";").map { $0.trimmingOptionalWhitespace().lowercased() }
            // `q=0` means "not acceptable" (RFC 9110 §12.4.2).
            let refused = parts.dropFirst().contains { $0.hasPrefix("q=") && Double($0.dropFirst(2)) == 0 }
            guard let type = parts.first, !refused else { continue }
            if type == "text/html" { return false }
            if type == "application/json" { json = true }
        }
        return json
    }

    /// `{"path": …, "entries": [{"name", "type", "size", "modified"}], "truncated": …}`;
    /// `modified` is an HTTP date, `size` 0 for directories.
    func json(path: String) -> String {
        var text = "{\"path\":\(JSONText.string(path)),\"entries\":["
        for (index, entry) in entries.enumerated() {
            if index > 0 { text += "," }
            text += "{\"name\":\(JSONText.string(entry.name)),\"type\":\"\(entry.isDirectory ? "directory" : "file")\","
                + "\"size\":\(entry.size),\"modified\":\"\(HTTPDate.format(entry.modified))\"}"
        }
        return text + "],\"truncated\":\(isTruncated)}\n"
    }

    func html(path: String) -> String {
        let title = "Index of " + Self.htmlEscaped(path)
        var text = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>\(title)</title></head>
            <body><h1>\(title)</h1>
            <table><thead><tr><th>Name</th><th>Size</th><th>Modified</th></tr></thead><tbody>

            """
        if path != "/" { text += "<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n" }
        for entry in entries {
            let suffix = entry.isDirectory ? "/" : ""
            let link = Self.percentEncoded(entry.name) + suffix
            text += "<tr><td><a href=\"./\(link)\">\(Self.htmlEscaped(entry.name))\(suffix)</a></td>"
                + "<td>\(entry.isDirectory ? "" : String(entry.size))</td><td>\(HTTPDate.format(entry.modified))</td></tr>\n"
        }
        text += "</tbody></table>\n"
        if isTruncated { text += "<p>Only the first \(Self.maximumEntries) entries are listed.</p>\n" }
        return text + "</body></html>\n"
    }

    static func htmlEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// Every byte but RFC 3986's unreserved characters as `%XX`, so that a name is one path
    /// segment (`?`, `#`, `/`, `:` included) and needs no further escaping in HTML.
    static func percentEncoded(_ name: String) -> String {
        PercentEncoding.encode(name, keeping: PercentEncoding.isUnreserved)
    }
}
