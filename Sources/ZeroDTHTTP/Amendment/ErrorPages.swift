import NIOCore
import NIOHTTP1

/// The bodies a server sends instead of its plain-text error pages (`error_pages:`), by
/// exact status code or by class (`4xx`, `5xx`); an exact code wins over its class.
public struct ErrorPages: Sendable, Equatable {
    /// The largest page a server holds in memory.
    public static let maximumSize = 1024 * 1024

    /// One page: the file's contents, read when the config was loaded, and its type.
    public struct Page: Sendable, Equatable {
        /// The body.
        public var body: ByteBuffer
        /// Its `Content-Type`.
        public var contentType: String

        /// Creates a page.
        public init(body: ByteBuffer, contentType: String) {
            self.body = body
            self.contentType = contentType
        }
    }

    /// Pages by status code, 400 to 599.
    public var exact: [Int: Page]
    /// Pages by class: 4 for `4xx`, 5 for `5xx`.
    public var classes: [Int: Page]

    /// Creates the set of pages.
    public init(exact: [Int: Page] = [:], classes: [Int: Page] = [:]) {
        self.exact = exact
        self.classes = classes
    }

    /// Whether no page is configured.
    public var isEmpty: Bool { exact.isEmpty && classes.isEmpty }

    /// The page for `status`, if any.
    func page(for status: HTTPResponseStatus) -> Page? {
        exact[Int(status.code)] ?? classes[Int(status.code) / 100]
    }
}
