import Foundation

/// Writes to the standard streams without buffering surprises.
enum Output {
    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
