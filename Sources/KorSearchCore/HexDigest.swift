extension Sequence where Element == UInt8 {
    /// The bytes as lowercase hexadecimal, as sha256 and git object ids are written.
    package var hexString: String { map { String(format: "%02x", $0) }.joined() }
}
