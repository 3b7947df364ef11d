import BTF

/// Why a map definition, an extern section or a struct_ops variable cannot be read or loaded:
/// the ``ObjectError/invalidMap(name:section:reason:)`` reason, with the values that show it.
public enum MapProblem: Hashable, Sendable, CustomStringConvertible {
    /// A name longer than the reader takes (`bytes` long; `limit` at most).
    case nameTooLong(bytes: Int, limit: Int)
    /// A symbol name that runs past `limit` bytes without its NUL (ELF64 reads it as empty).
    case nameLongerThan(limit: Int)
    /// A definition or variable of `size` bytes at `offset` that does not fit its `sectionSize`-byte section.
    case outsideSection(size: UInt64, offset: UInt64, sectionSize: UInt64)
    /// BTF-defined maps, struct_ops variables or externs in an object without BTF.
    case needsBTF
    /// No DATASEC in BTF describes the section.
    case noDataSection
    /// An extern or variable listed twice in its DATASEC.
    case listedTwice
    /// A DATASEC entry that is not a VAR.
    case entryNotVariable(TypeID, Kind)
    /// No symbol places the variable.
    case noSymbol
    /// A map definition or struct_ops variable whose type is no struct.
    case notStruct(Kind)
    /// A definition member that is not the macro its name asks for.
    case memberForm(member: String, expected: MemberForm)
    case memberTwice(String)
    case unknownField(String)
    /// An inner map definition with `values` of its own: maps of maps nest one level.
    case innerMapHasValues
    case valuesNotArray
    case valuesNotPointers
    /// `values` (or initial slots) on a map type that takes none.
    case valuesOnMapType(MapType)
    /// A value size that contradicts `values` (4-byte ids).
    case valueSizeConflictsWithValues(UInt32)
    /// Relocations into the map's `values` without a `values` member.
    case relocatedWithoutValues
    /// A `__kconfig` extern of a type libbpf does not fill.
    case unsupportedExternType(ExternType)
    /// `__kconfig` externs adding up to more than a map value (`limit` bytes).
    case externsTooLarge(limit: Int)
    /// A global data section of `bytes` bytes, beyond a map value's 32-bit size.
    case dataTooLarge(bytes: UInt64)
    /// A second section of a struct_ops name (section `index`).
    case secondSection(index: Int)
    /// A struct_ops variable whose bytes overlap the variable `other`.
    case overlaps(other: String)
    /// A struct_ops relocation at byte `offset` that is not a function-pointer member.
    case notFunctionPointerMember(offset: Int)
    /// A struct_ops member pointing to `symbol`, which starts no program.
    case memberTargetNotProgram(member: String, symbol: String)
    /// A struct_ops member pointing to `program` of `section`, not a struct_ops section.
    case memberProgramNotStructOps(member: String, program: String, section: String)
    /// A map that is not struct_ops, asked for a struct_ops layout.
    case notStructOps
    /// The kernel has no struct `type`, or no `bpf_struct_ops_<type>` wrapper, or a wrapper without it.
    case kernelStructOpsMissing(type: String, KernelStructOpsPart)
    /// The kernel's `bpf_struct_ops_<type>` of `size` bytes, beyond any struct_ops value.
    case kernelValueTooLarge(type: String, size: Int)
    case kernelMemberMissing(member: String, type: String)
    case kernelMemberNotFunctionPointer(member: String, program: String)
    case kernelMemberOutside(member: String, valueSize: Int, type: String)
    case pointerNotProgram(member: String)
    case bitfieldMember(String)
    case memberSizeDiffers(member: String, local: Int, kernel: Int)
    /// Initial contents or slots given to a struct_ops map.
    case structOpsContents
    /// Initial contents that do not match the map (an array of 4-byte keys and values of the contents' size).
    case contentsMismatch(bytes: Int, type: MapType, keySize: UInt32, valueSize: UInt32)
    /// Slots on a map without 4-byte keys and values.
    case slotSizes(keySize: UInt32, valueSize: UInt32)
    /// A slot holding a program in a map of maps, or a map in a program array.
    case slotKind(key: UInt32, SlotReference)
    /// A slot naming a program the load does not load (a subprogram, or not set to load).
    case slotProgramNotLoaded(key: UInt32, program: String)
    /// A slot naming a map the load does not create.
    case slotMapNotCreated(key: UInt32, map: String)
    /// A `.kconfig` map too small for its externs (`needed` bytes) or too large for a map.
    case kconfigMapSize(needed: Int, keySize: UInt32, valueSize: UInt32, limit: Int)

    /// The macros of a BTF map definition's members.
    public enum MemberForm: Hashable, Sendable {
        case uint, uintOrULong, type
    }

    /// The `__kconfig` extern types libbpf refuses.
    public enum ExternType: Hashable, Sendable {
        case bool(bytes: UInt32), integer(bytes: UInt32), enumeration(bytes: UInt32), arrayOfNonChars, other(Kind)
    }

    /// What of a struct_ops type the kernel lacks.
    public enum KernelStructOpsPart: Hashable, Sendable {
        case type, wrapper, wrapperMember
    }

    public var description: String {
        switch self {
        case let .nameTooLong(bytes, limit): "a \(bytes)-byte name (at most \(limit))"
        case let .nameLongerThan(limit): "a name longer than \(limit) bytes"
        case let .outsideSection(size, offset, sectionSize):
            "\(size) bytes at offset \(offset) do not fit the \(sectionSize)-byte section"
        case .needsBTF: "the object has no BTF to describe it"
        case .noDataSection: "no DATASEC of the section in BTF"
        case .listedTwice: "listed twice in its DATASEC"
        case let .entryNotVariable(id, kind): "DATASEC entry [\(id)] is \(kind), not VAR"
        case .noSymbol: "no symbol for the variable"
        case let .notStruct(kind): "a \(kind), not a struct"
        case let .memberForm(member, expected):
            switch expected {
            case .uint: "member '\(member)' is not __uint(...)"
            case .uintOrULong: "member '\(member)' is not __uint(...) or __ulong(...)"
            case .type: "member '\(member)' is not __type(...)"
            }
        case let .memberTwice(member): "member '\(member)' appears twice"
        case let .unknownField(member): "unknown map field '\(member)'"
        case .innerMapHasValues: "an inner map definition has 'values' of its own: maps of maps nest one level"
        case .valuesNotArray: "'values' is not an array"
        case .valuesNotPointers: "'values' elements are not pointers"
        case let .valuesOnMapType(type):
            "'values' on a \(type) map: only prog_array, array_of_maps and hash_of_maps take them"
        case let .valueSizeConflictsWithValues(size): "value size \(size) conflicts with 'values' (4-byte ids)"
        case .relocatedWithoutValues: "relocated but has no 'values' member"
        case let .unsupportedExternType(type):
            switch type {
            case let .bool(bytes): "extern type is unsupported: a \(bytes)-byte bool"
            case let .integer(bytes): "extern type is unsupported: a \(bytes)-byte integer"
            case let .enumeration(bytes): "extern type is unsupported: a \(bytes)-byte enum"
            case .arrayOfNonChars: "extern type is unsupported: an array of other than 1-byte chars"
            case let .other(kind): "extern type is unsupported: a \(kind)"
            }
        case let .externsTooLarge(limit): "externs add up to more than a map value can hold (\(limit) bytes)"
        case let .dataTooLarge(bytes): "\(bytes) bytes of global data exceed a map value's 32-bit size"
        case let .secondSection(index): "a second section of that name (section \(index))"
        case let .overlaps(other): "its bytes overlap struct_ops variable '\(other)'"
        case let .notFunctionPointerMember(offset): "the relocation at byte \(offset) is not a function-pointer member"
        case let .memberTargetNotProgram(member, symbol):
            "member '\(member)' points to '\(symbol)', which starts no program"
        case let .memberProgramNotStructOps(member, program, section):
            "member '\(member)' points to program '\(program)' of section '\(section)', not a struct_ops section"
        case .notStructOps: "not a struct_ops map"
        case let .kernelStructOpsMissing(type, part):
            switch part {
            case .type: "the kernel has no struct \(type) (no such struct_ops type here)"
            case .wrapper: "the kernel has no struct bpf_struct_ops_\(type): \(type) is not a struct_ops type"
            case .wrapperMember: "bpf_struct_ops_\(type) has no member of type \(type)"
            }
        case let .kernelValueTooLarge(type, size):
            "bpf_struct_ops_\(type) is \(size) bytes, more than a struct_ops value can be"
        case let .kernelMemberMissing(member, type):
            "member '\(member)' is set, but the kernel's struct \(type) has no such member"
        case let .kernelMemberNotFunctionPointer(member, program):
            "member '\(member)' names program '\(program)', but the kernel's member is not a function pointer"
        case let .kernelMemberOutside(member, valueSize, type):
            "the kernel's member '\(member)' lies outside the \(valueSize)-byte bpf_struct_ops_\(type)"
        case let .pointerNotProgram(member): "pointer member '\(member)' holds a value that is not a program"
        case let .bitfieldMember(member): "bitfield member '\(member)' cannot be set"
        case let .memberSizeDiffers(member, local, kernel):
            "member '\(member)' is \(local) bytes here but \(kernel) in the kernel"
        case .structOpsContents: "a struct_ops map takes no initial contents or slots"
        case let .contentsMismatch(bytes, type, keySize, valueSize):
            "\(bytes) bytes of initial contents for a \(type) map of \(keySize)-byte keys and \(valueSize)-byte values"
                + " (an array of 4-byte keys and values of the contents' size is needed)"
        case let .slotSizes(keySize, valueSize):
            "slots need 4-byte keys and values; the map has \(keySize)-byte keys and \(valueSize)-byte values"
        case let .slotKind(key, reference):
            "slot \(key) holds \(reference): a prog_array holds programs, a map of maps holds maps"
        case let .slotProgramNotLoaded(key, program):
            "slot \(key) names program '\(program)', which the load does not load (a subprogram, or not set to load)"
        case let .slotMapNotCreated(key, map): "slot \(key) names map '\(map)', which the load does not create"
        case let .kconfigMapSize(needed, keySize, valueSize, limit):
            "the __kconfig externs take \(needed) bytes; the map holds \(valueSize)-byte values under \(keySize)-byte keys"
                + " (at most \(limit))"
        }
    }
}
