@testable import BPFObject
import BTF
import TestSupport
import Testing

@Suite("Line records")
struct LineRecordTests {
    @Test(
        "line records copied in bulk from host-order .BTF.ext equal the decoded ones, into an empty list or after others",
        arguments: TestPaths.testDataObjects.filter { $0.hasSuffix(".bpfel.o") })
    func bulkCopyMatchesDecoding(_ path: String) throws {
        let spec = try ObjectSpec(contentsOfFile: path)
        var compared = 0
        for program in spec.programs {
            guard let (bytes, stride) = program.lineRecords.hostOrderBytes else { continue }
            let shift = 7 - program.sectionOffset
            let decoded = program.lineRecords.map {
                LineRecord(
                    instruction: Int($0.instructionOffset) / Instruction.size + shift,
                    fileNameOffset: $0.fileNameOffset, lineOffset: $0.lineOffset, lineColumn: $0.lineColumn)
            }
            var fresh: [LineRecord] = []
            LineRecord.append(bytes, stride: stride, shift: shift, to: &fresh)
            #expect(fresh == decoded, "\(spec.name) \(program.name)")
            let earlier = LineRecord(instruction: 1, fileNameOffset: 2, lineOffset: 3, lineColumn: 4)
            var appended = [earlier]
            LineRecord.append(bytes, stride: stride, shift: shift, to: &appended)
            #expect(appended == [earlier] + decoded, "\(spec.name) \(program.name)")
            compared += decoded.isEmpty ? 0 : 1
        }
        // Objects with BTF.ext line records give at least one program to compare.
        #expect(spec.btfExt?.lineInfo.isEmpty ?? true || compared > 0, "\(spec.name)")
    }
}
