/// Locations of the repository's test inputs, found from this source file.
enum TestPaths {
    /// The package root.
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/<Module>Tests/TestPaths.swift
        return parts.joined(separator: "/")
    }()

    static let testData = root + "/TestData"

    /// `../shared/corpus` beside the checkout, when present.
    static let corpus = root + "/../shared/corpus"
}
