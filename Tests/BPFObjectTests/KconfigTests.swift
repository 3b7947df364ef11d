import BPFObject
import Testing
import TestSupport

@Suite("Kernel configuration and __kconfig externs")
struct KconfigTests {
    @Test("parsing .config text")
    func parse() {
        let config = KernelConfig(
            text: "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=0x10\nCONFIG_D=\"hello\"\n# comment\nCONFIG_E=m\n")
        #expect(config["CONFIG_A"] == "y" && config["CONFIG_B"] == "n" && config["CONFIG_C"] == "0x10")
        #expect(config["CONFIG_D"] == "\"hello\"" && config["CONFIG_E"] == "m" && config["CONFIG_F"] == nil)
        let crlf = KernelConfig(
            text: "CONFIG_A=y\r\n# CONFIG_B is not set\r\nCONFIG_C=\r\n# CONFIG_ is not set\nCONFIG_NOVALUE\n")
        #expect(crlf.values == ["CONFIG_A": "y", "CONFIG_B": "n", "CONFIG_C": "", "CONFIG_": "n"])
    }

    @Test("parsing only the options a load asks for gives the full parse's values of those options")
    func parseKeeping() {
        let text =
            "CONFIG_A=y\r\n# CONFIG_B is not set\nCONFIG_AB=2\nCONFIG_A=m\nCONFIG_=x\n# CONFIG_ is not set\n"
            + "CONFIG_LONG_NAME_PAST_SIXTEEN_BYTES=\"v\"\nCONFIG_NOVALUE\nCONFIG_Z=1"
        var copy = text
        let full = KernelConfig(text: text)
        for names in [
            ["CONFIG_A"], ["CONFIG_B", "CONFIG_A"], ["CONFIG_AB", "CONFIG_", "CONFIG_Z", "CONFIG_MISSING"],
            ["CONFIG_LONG_NAME_PAST_SIXTEEN_BYTES", "CONFIG_LONG_NAME_PAST_SIXTEEN_BYTE", "CONFIG_NOVALUE"],
            [], ["CONFIG_A", "CONFIG_A"],
        ] {
            let kept = copy.withUTF8 { KernelConfig(text: $0, keeping: names) }
            #expect(kept.values == full.values.filter { names.contains($0.key) }, "\(names)")
        }
        // The last line of a name wins.
        #expect(copy.withUTF8 { KernelConfig(text: $0, keeping: ["CONFIG_A"]) }["CONFIG_A"] == "m")
    }

    @Test("KERNEL_VERSION codes")
    func versions() {
        #expect(kernelVersionCode(release: "6.18.44-fc-v657") == 0x06122c)
        #expect(kernelVersionCode(release: "5.4.300") == 0x0504ff)
        #expect(kernelVersionCode(release: "6.1") == 0x060100)
        #expect(kernelVersionCode(release: "garbage") == nil)
    }

    @Test("externs are laid out by alignment, size and name, and encoded by their types")
    func layoutAndValues() throws {
        let spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/kconfig.bpfel.o")
        let names = spec.kconfigExterns.map(\.name)
        #expect(
            Set(names) == [
                "LINUX_KERNEL_VERSION", "LINUX_HAS_BPF_COOKIE", "CONFIG_BPF_SYSCALL", "CONFIG_BPF_JIT", "CONFIG_HZ",
                "CONFIG_DEFAULT_HOSTNAME", "CONFIG_SWIFTBPF_NO_SUCH_OPTION",
            ])
        #expect(spec.kconfigExterns.map(\.offset) == spec.kconfigExterns.map(\.offset).sorted())
        #expect(spec.kconfigExterns.first { $0.name == "CONFIG_SWIFTBPF_NO_SUCH_OPTION" }?.isWeak == true)
        #expect(spec.kconfigExterns.first { $0.name == "CONFIG_BPF_SYSCALL" }?.isWeak == false)
        let map = try #require(spec.kconfigMapIndex.map { spec.maps[$0] })
        #expect(map.name == "kconfig.kconfig" && map.isReadOnlyData && map.valueTypeID != 0)

        let config = KernelConfig(values: [
            "LINUX_KERNEL_VERSION": "397868", "CONFIG_BPF_SYSCALL": "y", "CONFIG_BPF_JIT": "m",
            "CONFIG_HZ": "250", "CONFIG_DEFAULT_HOSTNAME": "\"(none)\"",
        ])
        let bytes = try spec.kconfigValues(config)
        func value(_ name: String) throws -> [UInt8] {
            let e = try #require(spec.kconfigExterns.first { $0.name == name })
            return Array(bytes[Int(e.offset)..<Int(e.offset + e.size)])
        }
        #expect(try value("LINUX_KERNEL_VERSION") == [0x2c, 0x12, 0x06, 0x00])
        #expect(try value("CONFIG_BPF_SYSCALL") == [1])
        #expect(try value("CONFIG_BPF_JIT") == [2, 0, 0, 0])  // TRI_MODULE
        #expect(try value("CONFIG_HZ") == [250, 0, 0, 0])
        #expect(try value("CONFIG_DEFAULT_HOSTNAME") == Array("(none)".utf8) + [UInt8](repeating: 0, count: 10))
        #expect(try value("CONFIG_SWIFTBPF_NO_SUCH_OPTION") == [0, 0, 0, 0])
        #expect(try value("LINUX_HAS_BPF_COOKIE") == [0])  // weak and absent
    }

    @Test(
        "an option that is not set: false for a bool, TRI_NO for a tristate, missing (0 when weak) for an int or a string"
    )
    func notSet() throws {
        let spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/kconfig.bpfel.o")
        let config = KernelConfig(
            text: "# CONFIG_BPF_SYSCALL is not set\n# CONFIG_BPF_JIT is not set\n# CONFIG_HZ is not set\n"
                + "# CONFIG_DEFAULT_HOSTNAME is not set\n")
        var values = config.values
        values["LINUX_KERNEL_VERSION"] = "1"
        let bytes = try spec.kconfigValues(KernelConfig(values: values))  // libbpf: the int and string read 0
        func value(_ name: String) throws -> [UInt8] {
            let e = try #require(spec.kconfigExterns.first { $0.name == name })
            return Array(bytes[Int(e.offset)..<Int(e.offset + e.size)])
        }
        #expect(try value("CONFIG_BPF_SYSCALL") == [0])
        #expect(try value("CONFIG_BPF_JIT") == [0, 0, 0, 0])
        #expect(try value("CONFIG_HZ") == [0, 0, 0, 0])
        #expect(try value("CONFIG_DEFAULT_HOSTNAME") == [UInt8](repeating: 0, count: 16))
    }

    @Test("a missing strong extern and a value its type cannot hold are errors naming the extern")
    func errors() throws {
        let spec = try ObjectSpec(contentsOfFile: TestPaths.testData + "/obj/kconfig.bpfel.o")
        #expect(throws: ObjectError.self) {
            try spec.kconfigValues(KernelConfig(values: ["LINUX_KERNEL_VERSION": "1"]))
        }
        do {
            _ = try spec.kconfigValues(
                KernelConfig(values: ["LINUX_KERNEL_VERSION": "1", "CONFIG_BPF_SYSCALL": "maybe"]))
            Issue.record("a bool took 'maybe'")
        } catch {
            #expect("\(error)".contains("CONFIG_BPF_SYSCALL"))
        }
        #expect(throws: ObjectError.self) {
            try spec.kconfigValues(
                KernelConfig(values: ["LINUX_KERNEL_VERSION": "99999999999", "CONFIG_BPF_SYSCALL": "y"]))
        }
    }
}
