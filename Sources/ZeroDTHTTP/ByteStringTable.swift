#if canImport(Glibc)
import Glibc
#endif

/// A table from byte strings to values, made once and then only read: found by a hash of
/// the bytes (FNV-1a) and compared with `memcmp`, without making a `String` or `Substring`
/// of what is looked up. Routing looks a request's path up here (``RoutingTable``), and did
/// it through `Dictionary`: `Hasher`'s seeded SipHash and a `Substring` per prefix tried
/// cost more than the rest of routing.
///
/// The hash is not seeded, which is safe here: the keys come from the configuration, and a
/// lookup adds nothing, so a client's chosen paths cannot build up colliding entries; the
/// longest probe is fixed when the table is made.
struct ByteStringTable<Value: Sendable>: Sendable {
    /// Every key's bytes, one after another (`keyStarts` says where each begins).
    private let keyBytes: [UInt8]
    private let keyStarts: [Int]
    private let hashes: [UInt64]
    private let values: [Value]
    /// Open addressing: an entry's index, or -1 for an empty slot. Never more than half
    /// full, so that a probe ends soon.
    private let slots: [Int32]
    /// The longest key's length: a longer string is in no entry, and is not hashed.
    let longestKey: Int

    /// A table of `entries`, whose keys must differ.
    init(_ entries: [(key: String, value: Value)]) {
        precondition(Set(entries.map { Array($0.key.utf8) }).count == entries.count, "keys must differ")
        var keyBytes: [UInt8] = []
        var keyStarts = [0]
        var hashes: [UInt64] = []
        var slots = [Int32](repeating: -1, count: max(2, (entries.count * 2).nextPowerOfTwo))
        for (index, entry) in entries.enumerated() {
            keyBytes.append(contentsOf: entry.key.utf8)
            keyStarts.append(keyBytes.count)
            let hash = keyBytes.withUnsafeBytes { Self.hash(UnsafeRawBufferPointer(rebasing: $0[keyStarts[index]...])) }
            hashes.append(hash)
            var slot = Int(truncatingIfNeeded: hash) & (slots.count - 1)
            while slots[slot] >= 0 { slot = (slot + 1) & (slots.count - 1) }
            slots[slot] = Int32(index)
        }
        self.keyBytes = keyBytes
        self.keyStarts = keyStarts
        self.hashes = hashes
        values = entries.map(\.value)
        self.slots = slots
        longestKey = entries.map(\.key.utf8.count).max() ?? -1
    }

    /// The value whose key is `key`'s bytes, if there is one.
    func value(for key: UnsafeRawBufferPointer) -> Value? {
        guard key.count <= longestKey else { return nil }
        let hash = Self.hash(key)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        return keyBytes.withUnsafeBytes { keys in
            while case let index = Int(slots[slot]), index >= 0 {
                let start = keyStarts[index]
                if hashes[index] == hash, keyStarts[index + 1] - start == key.count,
                   key.isEmpty || memcmp(keys.baseAddress! + start, key.baseAddress!, key.count) == 0 {
                    return values[index]
                }
                slot = (slot + 1) & mask
            }
            return nil
        }
    }

    /// FNV-1a, 64 bits.
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}

private extension Int {
    /// The least power of two not below this (1 for 0).
    var nextPowerOfTwo: Int {
        self <= 1 ? 1 : 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount)
    }
}
