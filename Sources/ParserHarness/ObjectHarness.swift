import BPFObject
import ELF64

extension Harness {
    /// Builds an object spec from `bytes`, links every entry program (against abstract map
    /// handles), disassembles every program, lays out struct_ops maps and computes the kernel-bound BTF.
    /// Returns the typed error when the object is rejected, `nil` when it reads.
    @discardableResult
    public static func object(_ bytes: UnsafeRawBufferPointer) -> ObjectError? {
        do throws(ObjectError) {
            let file: ELFFile
            do { file = try ELFFile(unsafeBytes: bytes) } catch { throw .elf(error) }
            let spec = try ObjectSpec(elf: file, name: "fuzz")
            var touched = spec.maps.count
            for program in spec.programs {
                touched &+= Disassembler().lines(program.instructions).count
                if !program.isSubprogram, let linked = try? Linker.link(spec, program: program.name) {
                    touched &+= linked.instructions.count &+ linked.mapLoads.count
                }
            }
            if let btf = spec.btf {
                // CO-RE against the object's own types: every matching path runs.
                var relocated = spec
                touched &+= (try? relocated.relocateCORE(against: [btf]))?.count ?? 0
                // struct_ops layouts against the object's own types (a kernel-like BTF may declare the wrappers).
                for map in spec.maps where map.structOps != nil {
                    touched &+= (try? spec.structOpsLayout(of: map, kernel: btf))?.value.count ?? 0
                }
            }
            if var builder = try? spec.kernelBTF() {
                builder.sanitize(for: [])
                touched &+= builder.encode().count
            }
            touched &+= (try? spec.kernelBTFBytes(supporting: .all))?.count ?? 0
            blackHole(touched)
            return nil
        } catch {
            return error
        }
    }
}
