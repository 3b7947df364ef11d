import BPFObject
import ELF64

extension Harness {
    /// Links `bytes` (when they read as ELF) alone and with itself; a linked object must read back
    /// as ELF, link again (the output is a valid input) and open as a spec or be refused with a
    /// typed error. Returns the typed error when the input is refused.
    @discardableResult
    public static func link(_ bytes: UnsafeRawBufferPointer) -> LinkError? {
        guard let file = try? ELFFile(unsafeBytes: bytes) else { return nil }
        _ = try? BPFLinker.link([.init(name: "a", file: file), .init(name: "b", file: file)])
        do throws(LinkError) {
            let linked = try BPFLinker.link([.init(name: "input", file: file)])
            let output: ELFFile
            do { output = try ELFFile(ByteStorage(copying: linked)) } catch {
                preconditionFailure("the linked object does not read as ELF: \(error)")
            }
            do { _ = try BPFLinker.link([.init(name: "output", file: output)]) } catch {
                preconditionFailure("the linked object does not link again: \(error)")
            }
            blackHole((try? ObjectSpec(elf: output, name: "linked"))?.programs.count ?? 0)
            return nil
        } catch {
            return error
        }
    }
}
