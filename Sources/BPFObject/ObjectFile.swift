import BTF
import ELF64

/// The parts of an object that open reads and nothing later changes: the file, its symbols,
/// license, version and BTF. One per opened object, shared by every copy of its ``ObjectSpec``.
final class ObjectFile: Sendable {
    let elf: ELFFile
    let symbols: SymbolTable
    let name: String
    let license: String
    let kernelVersion: UInt32
    let btf: BTF?
    let btfExt: BTFExt?
    /// The DATASECs by name (found once, without building a name index).
    let dataSections: DataSections

    init(
        elf: ELFFile, symbols: SymbolTable, name: String, license: String, kernelVersion: UInt32, btf: BTF?,
        btfExt: BTFExt?
    ) {
        self.elf = elf
        self.symbols = symbols
        self.name = name
        self.license = license
        self.kernelVersion = kernelVersion
        self.btf = btf
        self.btfExt = btfExt
        dataSections = DataSections(btf)
    }
}
