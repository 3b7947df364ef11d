import BPFObject
import BTF
import Glibc

extension ObjectSpec {
    /// Every created struct_ops map laid out against the kernel's BTF, by map index.
    func structOpsLayouts(_ kernel: KernelTargets) throws(LoadError) -> [Int: StructOpsLayout] {
        var layouts: [Int: StructOpsLayout] = [:]
        for index in maps.indices where maps[index].autoCreate && maps[index].structOps != nil {
            let vmlinux = try kernel.vmlinux()
            do { layouts[index] = try structOpsLayout(of: maps[index], kernel: vmlinux) } catch { throw .spec(error) }
        }
        return layouts
    }

    /// Warns of struct_ops programs left out of the load because no created map names them.
    func reportUnusedStructOpsPrograms(loading: [Int], _ options: LoadOptions) {
        // (Those left to load that a load skips. Written without `kind?.programType` in a `where`:
        // Swift 6.3's optimizer crashes on that shape here.)
        var next = loading.startIndex  // `loading` is in program order
        for index in programs.indices where !programs[index].isSubprogram && programs[index].autoLoad {
            if next < loading.endIndex, loading[next] == index {
                next += 1
                continue
            }
            options.diagnostics("program '\(programs[index].name)': no struct_ops map names it; not loaded")
        }
    }

    /// A struct_ops map: the kernel's value type and size; it needs the object's BTF loaded.
    func createStructOpsMap(
        _ spec: MapSpec, _ layout: StructOpsLayout, btf: Int32, _ context: LoadContext
    ) throws(LoadError) -> Map {
        guard btf >= 0 else {
            throw .map(
                name: spec.name,
                error: SyscallError(operation: "struct_ops map without the object's BTF in the kernel", errno: EINVAL))
        }
        var attributes = MapAttributes(
            type: .structOps, keySize: 4, valueSize: UInt32(layout.value.count), maxEntries: 1,
            flags: spec.flags, name: spec.name)
        attributes.btfVmlinuxValueTypeID = layout.valueTypeID
        attributes.token = context.token
        do { return Map(attributes, descriptor: try MapCommands.create(attributes, btf: btf)) } catch {
            throw context.mapError(spec, error)
        }
    }

    /// A struct_ops program's `attach_btf_id` (the kernel ops struct) and expected attach type (its
    /// member index); a program two maps put at different members or in different structs is an error.
    func structOpsAttachment(
        of program: String, _ layouts: [Int: StructOpsLayout]
    ) throws(LoadError) -> (UInt32, AttachType) {
        var found: (UInt32, UInt32)?
        for (_, layout) in layouts.sorted(by: { $0.key < $1.key }) {
            for slot in layout.slots where slot.program == program {
                let here = (layout.kernelTypeID, slot.memberIndex)
                if let found, found != here {
                    throw .spec(.invalidProgram(name: program, section: "struct_ops", reason: .structOpsMemberTwice))
                }
                found = here
            }
        }
        guard let (typeID, member) = found else {
            throw .spec(.invalidProgram(name: program, section: "struct_ops", reason: .structOpsUnused))
        }
        return (typeID, AttachType(rawValue: member))
    }

    /// Puts each program's descriptor into its struct_ops values: what registration hands the kernel.
    func fillStructOps(_ object: inout LoadedObject, _ layouts: [Int: StructOpsLayout]) {
        for (index, layout) in layouts {
            var value = layout.value
            for slot in layout.slots {
                let fd = UInt64(bitPattern: Int64(object.program(named: slot.program)?.descriptor.rawValue ?? -1))
                withUnsafeBytes(of: fd) { value.replaceSubrange(slot.valueOffset..<slot.valueOffset + 8, with: $0) }
            }
            object.structOpsValues[index] = value
        }
    }
}
