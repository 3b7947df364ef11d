import BPFObject
import Testing

@Suite("Global variables")
struct GlobalVariableTests {
    @Test(
        "globals.bpf.c: every data-section variable with its map, offset, size and writability",
        arguments: ["el", "eb"])
    func listed(order: String) throws {
        let s = try spec("globals.bpf\(order).o")
        let variables = try s.globalVariables()
        #expect(variables.map(\.name).sorted() == ["label", "runs", "step", "total"])
        let step = try #require(variables.first { $0.name == "step" })
        #expect(step.section == ".rodata" && step.size == 4 && step.offset == 0 && step.isReadOnly)
        #expect(s.maps[step.mapIndex].name == "globals.rodata")
        let label = try #require(variables.first { $0.name == "label" })
        #expect(
            label.section == ".data.names" && label.size == 8 && !label.isReadOnly
                && s.maps[label.mapIndex].name == ".data.names")
        let runs = try #require(variables.first { $0.name == "runs" })
        #expect(runs.section == ".bss" && runs.size == 8 && s.maps[runs.mapIndex].name == "globals.bss")
    }

    @Test("initial values: set in place, .bss grows to its size, wrong names and sizes are typed errors")
    func initialValues() throws {
        var s = try spec("globals.bpfel.o")
        try s.setInitialValue([3, 0, 0, 0], of: "step")
        try s.setInitialValue([7, 0, 0, 0, 0, 0, 0, 0], of: "runs")
        let rodata = try #require(s.map(named: "globals.rodata")), bss = try #require(s.map(named: "globals.bss"))
        #expect(rodata.contents == [3, 0, 0, 0])
        #expect(bss.contents == [7, 0, 0, 0, 0, 0, 0, 0])
        #expect(throws: ObjectError.invalidGlobal(name: "nope", reason: .noSuchVariable)) {
            try s.setInitialValue([0], of: "nope")
        }
        #expect(throws: ObjectError.invalidGlobal(name: "total", reason: .sizeMismatch(given: 2, size: 8))) {
            try s.setInitialValue([1, 2], of: "total")
        }
        // Functions and map definitions are not global data.
        #expect(try s.globalVariable(named: "advance") == nil)
        #expect(try s.globalVariable(named: "LICENSE") == nil)
    }
}
