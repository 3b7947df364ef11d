import BPF
import BPFObject
import BTF
import Glibc

/// `swiftbpf struct_ops register|list|unregister`.
enum StructOpsCommand {
    static let help = """
        usage: swiftbpf struct_ops register FILE [LINK_DIR]
               swiftbpf struct_ops list [--json]
               swiftbpf struct_ops unregister ID | --name NAME

        register loads FILE and registers each of its struct_ops maps with the
        kernel (a TCP congestion control, a scheduler…), as `bpftool struct_ops
        register` does. A map in SEC(".struct_ops") stays registered after this
        command exits; one in SEC(".struct_ops.link") is registered through a BPF
        link, pinned at LINK_DIR/<map name> so that it outlives this command
        (LINK_DIR is then required). If one registration fails, none stays.

        list prints the struct_ops maps in the kernel: id, name and the kernel
        struct they implement.

        unregister undoes a registration: it detaches the links that register the
        map, or deletes the map's value where no link does. Remove pins separately.

        examples:
          swiftbpf struct_ops register TestData/obj/tcp_cc.bpfel.o /sys/fs/bpf/tcp_cc
          swiftbpf struct_ops list
          swiftbpf struct_ops unregister --name swift_cc_map
        """

    static func run(_ words: ArraySlice<String>) throws {
        let args = try Arguments(words, valued: ["name"], flags: ["help", "json"], help: help)
        if args.flag("help") { print(help); return }
        switch args.positionals.first {
        case "register": try register(args)
        case "list", "show": try list(args)
        case "unregister": try unregister(args)
        default: throw UsageError(message: "expected 'register', 'list' or 'unregister'", help: help)
        }
    }

    static func register(_ args: Arguments) throws {
        guard args.positionals.count == 2 || args.positionals.count == 3 else {
            throw UsageError(message: "expected 'register FILE [LINK_DIR]'", help: help)
        }
        let spec = try ObjectSpec(contentsOfFile: args.positionals[1])
        let linkDirectory = args.positionals.count == 3 ? args.positionals[2] : nil
        let chosen = spec.maps.filter { $0.structOps != nil && $0.autoCreate }
        guard !chosen.isEmpty else {
            throw CommandFailure(description: "'\(args.positionals[1])' declares no struct_ops map")
        }
        if linkDirectory == nil, let linked = chosen.first(where: { $0.flags & MapFlag.link != 0 }) {
            throw UsageError(
                message: "map '\(linked.name)' registers through a link, which needs LINK_DIR to outlive this command",
                help: help)
        }
        var options = LoadOptions()
        options.diagnostics = { message in
            var standardError = StandardError()
            print("warning: \(message)", to: &standardError)
        }
        let object = try spec.load(options)
        if let linkDirectory { mkdir(linkDirectory, 0o755) }
        // What to undo if a later map fails: pins (their links die with them) and registered values.
        var pins: [String] = [], registered: [Map] = []
        var lines: [String] = []
        do throws(any Error) {
            for map in chosen {
                guard let created = object.map(named: map.name) else { continue }
                let link = try Attach.structOps(map: map.name, in: object)
                let info = try created.info()
                let typeName = map.structOps?.typeName ?? "struct_ops"
                if map.flags & MapFlag.link != 0, let linkDirectory {
                    let path = linkDirectory + "/" + map.name
                    try link.pin(at: path)
                    pins.append(path)
                    lines.append("Registered \(typeName) \(map.name) id \(info.id) (link pinned at \(path))")
                } else {
                    registered.append(created)
                    link.leaveStructOpsRegistered()
                    lines.append("Registered \(typeName) \(map.name) id \(info.id)")
                }
            }
        } catch {
            for path in pins { unlink(path) }
            for map in registered { try? map.delete([0, 0, 0, 0]) }
            throw error
        }
        for line in lines { print(line) }
    }

    /// The struct_ops maps in the kernel with the name of the kernel struct each implements.
    static func structOpsMaps() throws -> [(info: MapInfo, kernelStruct: String)] {
        let vmlinux = try? BTF(contentsOfFile: "/sys/kernel/btf/vmlinux")
        var maps: [(MapInfo, String)] = []
        for id in try KernelObjectIDs.all(.map) {
            guard let fd = try? KernelObjectIDs.open(.map, id: id), let info = try? MapInfo(of: fd),
                info.type == .structOps
            else { continue }
            let wrapper = (try? vmlinux?.type(info.btfVmlinuxValueTypeID)).map { String($0.name) } ?? ""
            maps.append(
                (
                    info,
                    wrapper.hasPrefix("bpf_struct_ops_")
                        ? String(wrapper.dropFirst(15)) : "type \(info.btfVmlinuxValueTypeID)"
                ))
        }
        return maps
    }

    static func list(_ args: Arguments) throws {
        let maps = try structOpsMaps()
        if args.flag("json") {
            print(
                JSON.array(
                    maps.map {
                        .object([
                            ("id", .uint(UInt64($0.info.id))), ("name", .string($0.info.name)),
                            ("kernel_struct_ops", .string($0.kernelStruct)),
                        ])
                    }
                ).rendered())
        } else {
            for map in maps { print("\(map.info.id): \(map.info.name.padding(15)) \(map.kernelStruct.padding(32))") }
        }
    }

    static func unregister(_ args: Arguments) throws {
        let maps = try structOpsMaps()
        let target: (info: MapInfo, kernelStruct: String)
        if let name = args.option("name") {
            let named = maps.filter { $0.info.name == name }
            guard named.count == 1 else {
                throw CommandFailure(
                    description: named.isEmpty
                        ? "no struct_ops map named '\(name)'"
                        : "\(named.count) struct_ops maps are named '\(name)': give an ID")
            }
            target = named[0]
        } else {
            guard args.positionals.count == 2, let id = UInt32(args.positionals[1]) else {
                throw UsageError(message: "expected 'unregister ID' or 'unregister --name NAME'", help: help)
            }
            guard let found = maps.first(where: { $0.info.id == id }) else {
                throw CommandFailure(description: "no struct_ops map with id \(id)")
            }
            target = found
        }
        var detached = 0
        for id in try KernelObjectIDs.all(.link) {
            guard let fd = try? KernelObjectIDs.open(.link, id: id), let info = try? LinkInfo(of: fd),
                info.structOpsMapID == target.info.id
            else { continue }
            try LinkCommands.detach(link: fd.rawValue)
            detached += 1
        }
        if detached == 0 {
            try Map(id: target.info.id).delete([0, 0, 0, 0])
        }
        print("Unregistered \(target.kernelStruct) \(target.info.name) id \(target.info.id)")
    }
}
