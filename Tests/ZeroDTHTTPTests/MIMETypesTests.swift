import Testing

@testable import ZeroDTHTTP

@Suite struct MIMETypesTests {
    @Test(arguments: [
        ("index.html", "text/html; charset=utf-8"), ("a/b/app.mjs", "text/javascript; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"), ("data.json", "application/json; charset=utf-8"),
        ("app.js.map", "application/json; charset=utf-8"), ("feed.xml", "application/xml; charset=utf-8"),
        ("logo.svg", "image/svg+xml; charset=utf-8"), ("notes.md", "text/markdown; charset=utf-8"),
        ("table.csv", "text/csv; charset=utf-8"), ("style.css", "text/css; charset=utf-8"),
        ("PHOTO.JPG", "image/jpeg"), ("a.jpeg", "image/jpeg"), ("a.avif", "image/avif"), ("f.woff2", "font/woff2"),
        ("m.wasm", "application/wasm"), ("v.webm", "video/webm"), ("s.mp3", "audio/mpeg"),
        ("archive.tar.gz", "application/gzip"), ("doc.pdf", "application/pdf"),
    ])
    func knownExtensions(_ name: String, _ type: String) {
        #expect(MIMETypes.contentType(forFileName: name[...]) == type)
    }

    @Test(arguments: ["README", "file.", "file.unknown", ".htaccess", "x.averyveryverylongextension", "dir.d/file"])
    func unknownIsOctetStream(_ name: String) {
        #expect(MIMETypes.contentType(forFileName: name[...]) == "application/octet-stream")
    }
}
