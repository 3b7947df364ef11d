import BPFObject
import BTF
import ELF64
import Skeleton

extension Harness {
    /// Builds an object spec from `bytes`, links every entry program (against abstract map
    /// handles), disassembles every program, minimises its BTF for its CO-RE relocations, lays out
    /// struct_ops maps, computes the kernel-bound BTF
    /// and generates the Swift skeleton.
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
                // The BTF its relocations use of its own types (gen min_core_btf), read back.
                var minimal = MinimalCOREBTF(target: btf)
                if (try? minimal.add(spec)) != nil, let kept = try? minimal.minimized() {
                    let encoded = kept.encode()
                    let reread = encoded.withUnsafeBytes { raw in
                        Result { () throws(BTFError) in try BTF(unsafeBytes: raw).ownTypeCount }
                    }
                    guard case .success(let count) = reread, count == kept.types.count else {
                        preconditionFailure("minimised BTF does not read back: \(reread)")
                    }
                    touched &+= count
                }
                // struct_ops layouts against the object's own types (a kernel-like BTF may declare the wrappers).
                for map in spec.maps where map.structOps != nil {
                    touched &+= (try? spec.structOpsLayout(of: map, kernel: btf))?.value.count ?? 0
                }
            }
            // The pure parts of a load: map sizes checked, .kconfig values encoded from a recorded
            // configuration, ksyms resolved against the object's own BTF and a recorded kallsyms,
            // global data formatted through its BTF (as `map dump` and metadata do).
            _ = try? spec.checkMapsForLoad()
            touched &+= (try? spec.kconfigValues(Self.recordedConfig))?.count ?? 0
            if let btf = spec.btf {
                touched &+= (try? spec.ksymValues(targets: [btf], kallsyms: Self.recordedKallsyms))?.count ?? 0
                for map in spec.maps where map.valueTypeID != 0 && !map.contents.isEmpty {
                    touched &+=
                        (try? btf.formattedValue(map.contents, type: map.valueTypeID))?.description.utf8.count ?? 0
                }
            }
            if var builder = try? spec.btfForKernel() {
                builder.sanitize(for: [])
                touched &+= builder.encode().count
            }
            touched &+= (try? spec.btfBytesForKernel(supporting: .all))?.count ?? 0
            // A generated skeleton: names from the object made Swift, its BTF made Swift types.
            if let skeleton = try? SkeletonGenerator(spec: spec, name: "Fuzz", source: "fuzz.o") {
                touched &+= (try? skeleton.generate())?.utf8.count ?? 0
            }
            blackHole(touched)
            return nil
        } catch {
            return error
        }
    }

    /// A kernel configuration as `.kconfig` externs read it: values of every kind, and a few hostile ones.
    static let recordedConfig = KernelConfig(values: [
        "LINUX_KERNEL_VERSION": "398336", "LINUX_HAS_BPF_COOKIE": "y", "LINUX_HAS_SYSCALL_WRAPPER": "y",
        "CONFIG_BPF_SYSCALL": "y", "CONFIG_BPF_JIT": "m", "CONFIG_HZ": "-9223372036854775808",
        "CONFIG_NR_CPUS": "0xffffffffffffffff",
        "CONFIG_DEFAULT_HOSTNAME": "\"(none)\"", "CONFIG_SWIFTBPF_EMPTY": "\"\"",
    ])

    /// `/proc/kallsyms` lines, as a kernel without CONFIG_KALLSYMS_ALL shows them, and a few odd ones.
    static let recordedKallsyms = KernelSymbols(
        text: """
            ffffffff81000000 T _stext
            ffffffff82a1b2c0 D bpf_prog_active
            0000000000000000 D hidden_symbol
            ffffffffc0001000 t module_function\t[some_module]
            not-a-line
            """)
}
