/// The request a connection is reading, until its body is in.
///
/// A class: the connection holds it only while the body comes, and an idle keep-alive
/// connection keeps 8 bytes for it where the request inline was over 100.
final class PendingRequest {
    /// Its body appended to in place: the request is held by the connection alone while it is read.
    var request: ReceivedRequest

    init(_ request: ReceivedRequest) {
        self.request = request
    }
}
