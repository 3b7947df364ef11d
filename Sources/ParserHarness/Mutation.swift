extension Harness {
    /// What a fuzz target's inputs are, for its structure-aware mutations.
    public enum InputShape: Sendable {
        /// An ELF object (FuzzELF, FuzzObject): headers, symbols, relocations and its `.BTF`.
        case elf
        /// A raw BTF blob (FuzzBTF).
        case btf
        /// A little-endian u32 length, that many bytes of BTF, then `.BTF.ext` (FuzzBTFExt): the BTF part.
        case btfThenExt
    }

    /// libFuzzer's custom mutator: half of the time (by `seed`) a structural edit of the input in
    /// place, falling back to `bytes` — libFuzzer's own `LLVMFuzzerMutate` — when the input has no
    /// structure to edit or the edit would not fit `maxSize`. Returns the new size.
    public static func mutate(
        _ data: UnsafeMutablePointer<UInt8>, size: Int, maxSize: Int, seed: UInt32, shape: InputShape,
        bytes: (UnsafeMutablePointer<UInt8>, Int, Int) -> Int
    ) -> Int {
        var mutator = StructureMutator(seed: seed)
        guard mutator.next(2) == 0 else { return bytes(data, size, maxSize) }
        let input = Array(UnsafeBufferPointer(start: data, count: size))
        let mutated: [UInt8]?
        switch shape {
        case .elf: mutated = mutator.mutateELF(input)
        case .btf: mutated = mutator.mutateBTF(input)
        case .btfThenExt:
            guard input.count >= 4 else { return bytes(data, size, maxSize) }
            let split = Int(UInt32(input[0]) | UInt32(input[1]) << 8 | UInt32(input[2]) << 16 | UInt32(input[3]) << 24)
            guard split <= input.count - 4, let btf = mutator.mutateBTF(Array(input[4..<4 + split])) else {
                return bytes(data, size, maxSize)
            }
            let length = UInt32(btf.count)
            mutated =
                [
                    UInt8(truncatingIfNeeded: length), UInt8(truncatingIfNeeded: length >> 8),
                    UInt8(truncatingIfNeeded: length >> 16),
                    UInt8(truncatingIfNeeded: length >> 24),
                ] + btf + input[(4 + split)...]
        }
        guard let mutated, mutated.count <= maxSize else { return bytes(data, size, maxSize) }
        mutated.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { data.update(from: base, count: source.count) }
        }
        return mutated.count
    }
}
