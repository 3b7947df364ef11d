extension Array {
    /// `count` copies of `value`, in storage allocated by code specialized for `Element` where
    /// this is called: the standard library's `init(repeating:count:)` and
    /// `init(unsafeUninitializedCapacity:initializingWith:)` look up the storage's type metadata
    /// at run time on every call, which costs as much as decoding a small object's section table.
    @inlinable
    public init(filling count: Int, with value: Element) {
        self.init()
        reserveCapacity(count)
        append(contentsOf: repeatElement(value, count: count))
    }
}
