import BPFObject
import Glibc

extension Attach {
    /// Registers the struct_ops map `name` of a loaded object with the kernel (a TCP congestion
    /// control becomes selectable, a scheduler runs…), as libbpf's `bpf_map__attach_struct_ops`:
    /// the map's value, with its programs in place, is written, then a map declared in
    /// `SEC(".struct_ops.link")` gets a `BPF_STRUCT_OPS` link (pinnable); one in `SEC(".struct_ops")`
    /// is registered by that write. Dropping the returned link unregisters it either way.
    public static func structOps(map name: String, in object: borrowing LoadedObject) throws(AttachError) -> Link {
        guard let index = object.spec.maps.firstIndex(where: { $0.name == name }),
            object.spec.maps[index].structOps != nil
        else {
            throw .target(.noStructOpsMap(name))
        }
        guard let map = object.maps[index], let value = object.structOpsValues[index] else {
            throw .target(.structOpsMapNotCreated(name))
        }
        let viaLink = object.spec.maps[index].flags & MapFlag.link != 0
        do throws(SyscallError) {
            do {
                try map.update([0, 0, 0, 0], value)
            } catch  where viaLink && error.errno == EBUSY {
                // Written by an earlier registration whose link is gone: the value stands, link again.
            }
            if viaLink {
                return Link(
                    try LinkCommands.create(
                        program: map.descriptor.rawValue, target: 0, attachType: AttachType.structOps.rawValue))
            }
            do { return Link(registeredStructOps: try map.descriptor.duplicate()) } catch {
                try? map.delete([0, 0, 0, 0])
                throw error
            }
        } catch {
            throw .system(error)
        }
    }
}
