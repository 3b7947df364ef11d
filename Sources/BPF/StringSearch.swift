extension StringProtocol {
    /// Whether `part` occurs in this string, compared as UTF-8 bytes.
    ///
    /// The standard `contains(_:)` for strings lives in `_StringProcessing`, whose regex
    /// engine and Unicode name tables it drags into a static binary (1.3 MB measured).
    func includes(_ part: String) -> Bool {
        let bytes = Array(utf8), wanted = Array(part.utf8)
        guard wanted.count <= bytes.count else { return false }
        return (0...(bytes.count - wanted.count)).contains { bytes[$0..<$0 + wanted.count].elementsEqual(wanted) }
    }
}
