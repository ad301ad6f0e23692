import NIOCore
import ZeroDT
import ZeroDTHTTP

extension ConfigDecoder {
    /// `error_pages: {404: errors/404.html, 5xx: errors/5xx.html}`: each file is read now,
    /// so `check` proves it usable and a reload picks up its changes.
    mutating func errorPages(_ node: ConfigNode) -> ErrorPages? {
        guard case .mapping(let entries) = node.value else {
            error("'error_pages' must be a mapping of status codes to files, found \(node.kindDescription)",
                  at: node.location)
            return nil
        }
        var pages = ErrorPages()
        var valid = true
        for entry in entries {
            let key = errorPageKey(entry.key)
            if key == nil {
                error("error page key '\(entry.key)' must be a status code from 400 to 599, or 4xx or 5xx",
                      at: entry.keyLocation)
            }
            guard let key, let page = errorPage(entry.value) else {
                valid = false
                continue
            }
            switch key {
            case .exact(let code): pages.exact[code] = page
            case .group(let digit): pages.classes[digit] = page
            }
        }
        return valid ? pages : nil
    }

    private enum ErrorPageKey {
        case exact(Int)
        case group(Int)
    }

    private func errorPageKey(_ key: String) -> ErrorPageKey? {
        if key == "4xx" { return .group(4) }
        if key == "5xx" { return .group(5) }
        guard key.utf8.count == 3, let code = Int(key), (400...599).contains(code) else { return nil }
        return .exact(code)
    }

    private mutating func errorPage(_ node: ConfigNode) -> ErrorPages.Page? {
        guard let path = path(node, what: "error page") else { return nil }
        switch RegularFile.read(atPath: path, limit: ErrorPages.maximumSize) {
        case .success(let bytes):
            var body = ByteBufferAllocator().buffer(capacity: bytes.count)
            body.writeBytes(bytes)
            return ErrorPages.Page(body: body, contentType: MIMETypes.contentType(forFileName: Substring(path)))
        case .failure(.tooLarge):
            error("error page '\(path)' is larger than \(ErrorPages.maximumSize / 1024 / 1024) MiB", at: node.location)
        case .failure(let failure):
            error("cannot read error page '\(path)': \(failure.description)", at: node.location)
        }
        return nil
    }
}
