import BTF

/// A struct_ops map laid out for one kernel: the value type the kernel expects, the object's
/// data moved to the kernel's member offsets, and where each program's descriptor goes.
/// Computed from BTF alone (no syscalls), as libbpf does when it loads such a map.
public struct StructOpsLayout: Sendable, Hashable {
    /// The ops struct in the kernel BTF (`struct tcp_congestion_ops`): its programs' `attach_btf_id`.
    public let kernelTypeID: TypeID
    /// The kernel's wrapper (`struct bpf_struct_ops_tcp_congestion_ops`): the map's `btf_vmlinux_value_type_id`.
    public let valueTypeID: TypeID
    /// The map value with the object's data members in place and every function slot zero.
    public let value: [UInt8]
    /// The programs the value names.
    public let slots: [Slot]

    /// The largest value a layout builds (the kernel's own wrappers are far smaller).
    public static let maximumValueSize = 1 << 20

    /// A function-pointer member of the kernel struct filled with a program.
    public struct Slot: Sendable, Hashable {
        /// The program's name.
        public let program: String
        /// Where the program's descriptor goes in ``StructOpsLayout/value`` (8 bytes).
        public let valueOffset: Int
        /// The member's index in the kernel struct: the program's expected attach type.
        public let memberIndex: UInt32
    }
}

extension ObjectSpec {
    /// Lays out the struct_ops map `map` for the kernel described by `kernel`: members are matched
    /// by name; a data member the kernel lacks is an error unless it is zero, sizes must agree,
    /// a function member must be a function pointer in the kernel too.
    public func structOpsLayout(of map: MapSpec, kernel: BTF) throws(ObjectError) -> StructOpsLayout {
        guard let ops = map.structOps, let btf else {
            throw .invalidMap(name: map.name, section: "\(map.origin)", reason: .notStructOps)
        }
        func failure(_ reason: MapProblem) -> ObjectError {
            .invalidMap(name: map.name, section: "\(map.origin)", reason: reason)
        }
        do {
            guard let kernelTypeID = kernel.firstTypeID(named: ops.typeName, kind: .struct) else {
                throw failure(.kernelStructOpsMissing(type: ops.typeName, .type))
            }
            guard let valueTypeID = kernel.firstTypeID(named: "bpf_struct_ops_" + ops.typeName, kind: .struct) else {
                throw failure(.kernelStructOpsMissing(type: ops.typeName, .wrapper))
            }
            guard
                let data = try kernel.type(valueTypeID).members.first(where: { member throws(BTFError) in
                    try kernel.resolve(member.type) == kernelTypeID
                })
            else {
                throw failure(.kernelStructOpsMissing(type: ops.typeName, .wrapperMember))
            }
            let dataOffset = Int(data.bitOffset / 8)
            // The kernel's wrappers are a few hundred bytes; a BTF file given for another kernel may say anything.
            let valueSize = try kernel.size(of: valueTypeID)
            guard valueSize <= StructOpsLayout.maximumValueSize else {
                throw failure(.kernelValueTooLarge(type: ops.typeName, size: valueSize))
            }
            var value = [UInt8](repeating: 0, count: valueSize)
            let kernelMembers = Array(try kernel.type(kernelTypeID).members)
            // Kernel members by name and programs by offset, found once (members × members on a hostile BTF otherwise).
            let kernelIndex = FirstByName(kernelMembers.enumerated().map { ($1.name, UInt32($0)) })
            var functions: [Int: Int] = [:]  // member offset → index into ops.functions, the first at each
            for (i, f) in ops.functions.enumerated() where functions[f.offset] == nil { functions[f.offset] = i }
            var slots: [StructOpsLayout.Slot] = []
            for member in try btf.type(ops.typeID).members {
                let offset = Int(member.bitOffset / 8)
                let name = String(member.name)
                let function = functions[offset].map { ops.functions[$0] }
                let localSize = try btf.size(of: member.type)
                let isZero =
                    offset + localSize <= ops.data.count && ops.data[offset..<offset + localSize].allSatisfy { $0 == 0 }
                guard let index = kernelIndex[member.name].map({ Int($0) }) else {
                    if function == nil, isZero, member.bitfieldSize == 0 { continue }
                    throw failure(.kernelMemberMissing(member: name, type: ops.typeName))
                }
                let kernelMember = kernelMembers[index]
                let kernelOffset = dataOffset + Int(kernelMember.bitOffset / 8)
                let kernelMemberType = try kernel.type(try kernel.resolve(kernelMember.type))
                if let function {
                    guard kernelMemberType.kind == .pointer,
                        try kernel.type(try kernel.resolve(kernelMemberType.referencedType)).kind == .functionProto
                    else {
                        throw failure(.kernelMemberNotFunctionPointer(member: name, program: function.program))
                    }
                    guard kernelOffset + 8 <= value.count else {
                        throw failure(.kernelMemberOutside(member: name, valueSize: value.count, type: ops.typeName))
                    }
                    slots.append(
                        .init(program: function.program, valueOffset: kernelOffset, memberIndex: UInt32(index)))
                    continue
                }
                if try btf.type(try btf.resolve(member.type)).kind == .pointer {
                    guard isZero else { throw failure(.pointerNotProgram(member: name)) }
                    continue
                }
                guard member.bitfieldSize == 0, kernelMember.bitfieldSize == 0 else {
                    if isZero { continue }
                    throw failure(.bitfieldMember(name))
                }
                let kernelSize = try kernel.size(of: kernelMember.type)
                guard kernelSize == localSize, kernelOffset + kernelSize <= value.count,
                    offset + localSize <= ops.data.count
                else {
                    throw failure(.memberSizeDiffers(member: name, local: localSize, kernel: kernelSize))
                }
                value.replaceSubrange(
                    kernelOffset..<kernelOffset + kernelSize, with: ops.data[offset..<offset + localSize])
            }
            return StructOpsLayout(kernelTypeID: kernelTypeID, valueTypeID: valueTypeID, value: value, slots: slots)
        } catch {
            throw .converting(error)
        }
    }
}
