import BPFObject
import ELF64

/// Entry points that drive a parser over arbitrary bytes and touch everything
/// it exposes. Fuzz targets call them; `swift test` replays saved inputs
/// through the same functions, so a crash found once stays fixed.
public enum Harness {
    /// Opens `bytes` as ELF64 and walks every section, symbol and relocation, the program headers,
    /// and the USDT notes with their argument specs (read for x86-64 and arm64, encoded).
    /// Returns the typed error when the file is rejected, `nil` when it reads.
    @discardableResult
    public static func elf(_ bytes: UnsafeRawBufferPointer) -> ELFError? {
        do throws(ELFError) {
            let file = try ELFFile(unsafeBytes: bytes)
            var touched = 0
            for section in file.sections {
                touched &+= section.data.count &+ section.name.count
                _ = file.section(named: String(section.name))
            }
            if let symbols = try file.symbolTable() {
                for symbol in symbols { touched &+= symbol.name.count &+ (symbol.section.sectionIndex ?? 0) }
            }
            for section in file.sections where section.type == .symtab || section.type == .dynsym {
                // The listing view (inspect's): every entry decodes, whatever it holds.
                guard let symbols = try? file.unvalidatedSymbols(in: section) else { continue }
                for symbol in symbols { touched &+= symbol.name.count &+ (symbol.section.sectionIndex ?? 0) }
            }
            for section in file.relocationSections {
                for relocation in try file.relocations(in: section) { touched &+= relocation.symbolIndex }
            }
            let segments = (try? file.segments()) ?? []
            for note in (try? file.sdtNotes()) ?? [] {
                touched &+= segments.filter { $0.contains(address: note.address) }.count
                for machine in [Machine.x86_64, .aarch64] {
                    guard let spec = try? USDTSpec(parsing: note.arguments, machine: machine) else { continue }
                    precondition(spec.encoded(cookie: 1, order: file.byteOrder).count == USDTSpec.size)
                    touched &+= spec.arguments.count
                }
            }
            blackHole(touched)
            return nil
        } catch {
            return error
        }
    }
}

@inline(never)
func blackHole(_ value: Int) {}
