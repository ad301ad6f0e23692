import NIOHTTP1

extension HTTPMethod {
    /// The methods every redirect answers, and that `OPTIONS *` lists as the server's
    /// (``HTTPResponse/serverOptions``): what the server's routes answer, unlike a method it
    /// does not know (501).
    static let commonMethods: [HTTPMethod] = [.GET, .HEAD, .POST, .PUT, .PATCH, .DELETE, .OPTIONS]
}
