/// Percent-encoding (RFC 3986 §2.1) for what redirects put in `Location`.
enum PercentEncoding {
    /// Letters, digits and `-._~`.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
             UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// `text` with every byte that `keeps` refuses written as `%HH`.
    static func encode(_ text: some StringProtocol, keeping keeps: (UInt8) -> Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            if keeps(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += byte < 0x10 ? "%0" : "%"
                out += String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
