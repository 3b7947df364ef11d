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

extension Array {
    /// Makes room for `additional` more elements, growing at least twofold when it grows: reserving
    /// exactly, once per input of many, would copy the array once per input (quadratic).
    @inlinable
    public mutating func reserve(additional: Int) {
        let needed = count + additional
        if needed > capacity { reserveCapacity(Swift.max(needed, 2 * capacity)) }
    }
}
