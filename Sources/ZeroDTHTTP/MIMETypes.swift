/// The `Content-Type` of a static file, chosen by its extension.
package enum MIMETypes {
    /// What a file whose extension is not in the table is sent as.
    static let fallback = "application/octet-stream"

    /// The media type for `fileName`'s extension (case-insensitive), with `charset=utf-8`
    /// on textual types; `fallback` when the name has no known extension.
    package static func contentType(forFileName fileName: Substring) -> String {
        let name = fileName.utf8
        guard let dot = name.lastIndex(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "/") }),
              name[dot] == UInt8(ascii: ".")
        else { return fallback }
        let extensionBytes = name[name.index(after: dot)...]
        guard extensionBytes.count <= longestExtension else { return fallback }
        let lowercased = String(decoding: extensionBytes.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
        return table[lowercased] ?? fallback
    }

    private static let longestExtension = table.keys.map(\.utf8.count).max() ?? 0

    private static let utf8 = "; charset=utf-8"

    // Textual types carry a charset so browsers need not sniff; web assets are UTF-8.
    private static let table: [String: String] = [
        "html": "text/html" + utf8,
        "htm": "text/html" + utf8,
        "css": "text/css" + utf8,
        "js": "text/javascript" + utf8,
        "mjs": "text/javascript" + utf8,
        "json": "application/json" + utf8,
        "map": "application/json" + utf8,
        "jsonld": "application/ld+json" + utf8,
        "webmanifest": "application/manifest+json" + utf8,
        "txt": "text/plain" + utf8,
        "csv": "text/csv" + utf8,
        "md": "text/markdown" + utf8,
        "vtt": "text/vtt" + utf8,
        "ics": "text/calendar" + utf8,
        "xml": "application/xml" + utf8,
        "rss": "application/rss+xml" + utf8,
        "atom": "application/atom+xml" + utf8,
        "xhtml": "application/xhtml+xml" + utf8,
        "svg": "image/svg+xml" + utf8,
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "webp": "image/webp",
        "avif": "image/avif",
        "ico": "image/x-icon",
        "bmp": "image/bmp",
        "woff": "font/woff",
        "woff2": "font/woff2",
        "ttf": "font/ttf",
        "otf": "font/otf",
        "pdf": "application/pdf",
        "wasm": "application/wasm",
        "mp4": "video/mp4",
        "m4v": "video/mp4",
        "webm": "video/webm",
        "ogv": "video/ogg",
        "mov": "video/quicktime",
        "mp3": "audio/mpeg",
        "m4a": "audio/mp4",
        "ogg": "audio/ogg",
        "oga": "audio/ogg",
        "opus": "audio/ogg",
        "wav": "audio/wav",
        "flac": "audio/flac",
        "zip": "application/zip",
        "gz": "application/gzip",
        "tar": "application/x-tar",
    ]
}
