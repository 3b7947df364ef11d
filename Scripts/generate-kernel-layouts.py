#!/usr/bin/env python3
"""Generates the bpf(2) structure layouts from the kernel's own definitions.

The Debian uapi header on the build machines is Linux 6.1's; the running
kernel (6.18) describes `union bpf_attr` and the `bpf_*_info` structures in its
BTF. So the source of truth is the kernel's BTF, dumped as C by swiftbpf:

    swiftbpf btf dump /sys/kernel/btf/vmlinux --format c

From that dump the script keeps the structures below (and the typedefs and
enums they use) as Tests/CKernelLayouts/kernel_layouts.h, asks clang
for their record layouts (-fdump-record-layouts), and writes:

  Sources/BPF/Syscall/KernelLayouts.swift   one byte-backed type per command or
      info structure, every field a named property at the kernel's offset;
  Tests/CKernelLayouts/kernel_layouts.c     per field, C that reads it through
      the header (its offset, size, and value in a buffer);
  Tests/BPFTests/KernelLayoutTests.swift    a test per layout: each field set
      through Swift is read back by the C compiled from the header, at its
      offset and size, touching no other byte.

Usage: Scripts/generate-kernel-layouts.py [VMLINUX_BTF] (default /sys/kernel/btf/vmlinux)
"""
import os, re, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
vmlinux = sys.argv[1] if len(sys.argv) > 1 else "/sys/kernel/btf/vmlinux"

# (Swift name, C record, selector inside the record, what it is for).
# A selector is a named member of union bpf_attr, "first:FIELD" for the anonymous
# struct whose first field is FIELD, or None for the whole record.
LAYOUTS = [
    ("MapCreateAttr", "union bpf_attr", "first:map_type", "`BPF_MAP_CREATE`"),
    ("MapElementAttr", "union bpf_attr", "first:map_fd", "`BPF_MAP_*_ELEM`, `BPF_MAP_GET_NEXT_KEY`, `BPF_MAP_FREEZE`"),
    ("MapBatchAttr", "union bpf_attr", "batch", "`BPF_MAP_*_BATCH`"),
    ("ProgLoadAttr", "union bpf_attr", "first:prog_type", "`BPF_PROG_LOAD`"),
    ("ObjectAttr", "union bpf_attr", "first:pathname", "`BPF_OBJ_PIN`, `BPF_OBJ_GET`"),
    ("TestRunAttr", "union bpf_attr", "test", "`BPF_PROG_TEST_RUN`"),
    ("GetIDAttr", "union bpf_attr", "first:start_id", "`BPF_*_GET_NEXT_ID`, `BPF_*_GET_FD_BY_ID`"),
    ("InfoAttr", "union bpf_attr", "info", "`BPF_OBJ_GET_INFO_BY_FD`"),
    ("RawTracepointOpenAttr", "union bpf_attr", "raw_tracepoint", "`BPF_RAW_TRACEPOINT_OPEN`"),
    ("BTFLoadAttr", "union bpf_attr", "first:btf", "`BPF_BTF_LOAD`"),
    ("LinkCreateAttr", "union bpf_attr", "link_create", "`BPF_LINK_CREATE`"),
    ("LinkDetachAttr", "union bpf_attr", "link_detach", "`BPF_LINK_DETACH`"),
    ("IterCreateAttr", "union bpf_attr", "iter_create", "`BPF_ITER_CREATE`"),
    ("ProgBindMapAttr", "union bpf_attr", "prog_bind_map", "`BPF_PROG_BIND_MAP`"),
    ("TokenCreateAttr", "union bpf_attr", "token_create", "`BPF_TOKEN_CREATE`"),
    ("ProgInfoLayout", "struct bpf_prog_info", None, "`struct bpf_prog_info`"),
    ("MapInfoLayout", "struct bpf_map_info", None, "`struct bpf_map_info`"),
    ("BTFInfoLayout", "struct bpf_btf_info", None, "`struct bpf_btf_info`"),
    ("LinkInfoLayout", "struct bpf_link_info", None, "`struct bpf_link_info`"),
    ("PerfEventAttr", "struct perf_event_attr", None, "`perf_event_open(2)`'s `struct perf_event_attr`"),
]

ACRONYMS = {"btf": "BTF", "fd": "FD", "fds": "FDs", "id": "ID", "ids": "IDs", "ip": "IP", "tp": "TP", "bpf": "BPF",
            "ns": "NS", "ino": "Ino", "xdp": "XDP", "tcx": "TCX", "nr": "Nr", "uprobe": "Uprobe", "kprobe": "Kprobe",
            "jited": "Jited", "ksyms": "Ksyms", "cnt": "Count", "insns": "Insns", "prog": "Prog", "elem": "Elem", "uid": "UID"}
UNSIGNED = {1: "unsigned char", 2: "unsigned short", 4: "unsigned int", 8: "unsigned long long"}
# C field names that are Swift keywords.
RENAMED = {"repeat": "repeatCount"}
SCALARS = {"__u8": ("UInt8", 1), "__s8": ("Int8", 1), "char": ("UInt8", 1), "__u16": ("UInt16", 2), "__s16": ("Int16", 2),
           "__be16": ("UInt16", 2), "__u32": ("UInt32", 4), "__s32": ("Int32", 4), "__be32": ("UInt32", 4), "int": ("Int32", 4),
           "unsigned int": ("UInt32", 4), "__u64": ("UInt64", 8), "__s64": ("Int64", 8), "__aligned_u64": ("UInt64", 8)}


def camel(path):
    words = [w for part in path for w in part.split("_") if w]
    out = []
    for i, w in enumerate(words):
        if w in ACRONYMS and not (i == 0 and ACRONYMS[w].isupper()):
            out.append(ACRONYMS[w] if i else ACRONYMS[w].lower())
        elif w in ACRONYMS:
            out.append(w.lower())
        else:
            out.append(w if i == 0 else w[0].upper() + w[1:])
    return "".join(out)


def dump_btf_as_c():
    swiftbpf = os.environ.get("SWIFTBPF") or os.path.join(root, ".build", "debug", "swiftbpf")
    if not os.path.exists(swiftbpf):
        subprocess.run(["swift", "build", "--product", "swiftbpf"], cwd=root, check=True)
    return subprocess.run([swiftbpf, "btf", "dump", vmlinux, "--format", "c"], check=True,
                          capture_output=True, text=True).stdout


def top_level_block(text, head):
    """The definition `head {...};` at the start of a line, braces matched."""
    start = text.find("\n" + head + " {")
    if start < 0:
        sys.exit(f"{head} not found in the BTF dump")
    depth, i = 0, text.index("{", start)
    while True:
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1:text.index(";", i) + 1]
        i += 1


def header_from(dump):
    records = sorted({c for _, c, _, _ in LAYOUTS})
    blocks = [top_level_block(dump, r) for r in records]
    enums = sorted(set(re.findall(r"\benum (\w+) \w+;", "\n".join(blocks))))
    blocks = [top_level_block(dump, "enum " + e) for e in enums] + blocks
    kernel = subprocess.run(["uname", "-r"], capture_output=True, text=True).stdout.strip()
    return "\n".join([
        f"/* Generated by Scripts/generate-kernel-layouts.py from the BTF of Linux {kernel}",
        " * (`swiftbpf btf dump vmlinux --format c`): the bpf(2) structures SwiftBPF lays out. Do not edit. */",
        "#ifndef KERNEL_LAYOUTS_H", "#define KERNEL_LAYOUTS_H", "",
        "typedef unsigned char __u8;", "typedef signed char __s8;", "typedef unsigned short __u16;",
        "typedef short __s16;", "typedef unsigned int __u32;", "typedef int __s32;",
        "typedef unsigned long long __u64;", "typedef long long __s64;", "",
        "\n\n".join(blocks), "", "#endif", ""])


class Node:
    def __init__(self, offset, bits, ctype, name, depth):
        self.offset, self.bits, self.ctype, self.name, self.depth, self.children = offset, bits, ctype, name, depth, []

    @property
    def is_record(self):
        return re.match(r"^(struct|union) ", self.ctype) is not None


LINE = re.compile(r"^\s*(\d+)(?::(\d+)-(\d+))? \|( *)(.*)$")


def layouts_of(header_path):
    out = subprocess.run(["clang", "-x", "c", "-fsyntax-only", "-Xclang", "-fdump-record-layouts", "-include", header_path,
                          "-"], input="int sizes[] = {" + ", ".join(f"sizeof({c})" for c in sorted({c for _, c, _, _ in LAYOUTS}))
                          + "};\n", capture_output=True, text=True, check=True).stdout
    trees, sizes = {}, {}
    for chunk in out.split("*** Dumping AST Record Layout")[1:]:
        lines = [l for l in chunk.splitlines() if l.strip()]
        m = re.search(r"\[sizeof=(\d+)", lines[-1])
        root_line = LINE.match(lines[0])
        root_type = root_line.group(5).strip()
        sizes[root_type] = int(m.group(1))
        top = Node(0, None, root_type, None, -1)
        stack = [top]
        for l in lines[1:-1]:
            m = LINE.match(l)
            if not m:
                continue
            depth = len(m.group(4)) // 2 - 1
            text = m.group(5).strip()
            if re.match(r"^(struct|union) \S+::\((anonymous|unnamed) at [^)]*\)$", text) or re.match(r"^(struct|union) \w+$", text):
                ctype, name = text, None
            else:
                ctype, name = text.rsplit(" ", 1)
            bits = (int(m.group(2)), int(m.group(3))) if m.group(2) else None
            node = Node(int(m.group(1)), bits, ctype, name, depth)
            while stack[-1].depth >= depth:
                stack.pop()
            stack[-1].children.append(node)
            stack.append(node)
        trees[root_type] = top
    return trees, sizes


def leaves(node, swift_path, c_path):
    for child in node.children:
        if child.is_record:
            sp = swift_path + ([child.name] if child.name else [])
            cp = c_path + ([child.name] if child.name else [])
            yield from leaves(child, sp, cp)
        else:
            yield child, swift_path + [child.name], c_path + [child.name]


def field_type(ctype):
    m = re.match(r"^(.*)\[(\d+)\]$", ctype)
    if m:
        base, count = m.group(1).strip(), int(m.group(2))
        swift, size = SCALARS[base]
        return ("string" if base == "char" else "bytes" if size == 1 else None), size * count, swift
    if ctype.startswith("enum "):
        return "scalar", 4, "UInt32"
    swift, size = SCALARS[ctype]
    return "scalar", size, swift


def select(trees, crecord, selector):
    top = trees[crecord]
    if selector is None:
        return top, []
    for child in top.children:
        if selector.startswith("first:"):
            if child.name is None and next(leaves(child, [], []))[0].name == selector[6:]:
                return child, []
        elif child.name == selector:
            return child, [selector]
    sys.exit(f"{crecord}: no member {selector}")


CHECK_LINES = [
    "    /// A field as C sees it: offset, size, and a reader of its value in a buffer.",
    "    struct Field {",
    "        let offset: Int, size: Int",
    "        let read: @convention(c) (UnsafeRawPointer?) -> UInt64",
    "        init(_ offset: Int, _ size: Int, _ read: @convention(c) (UnsafeRawPointer?) -> UInt64) {",
    "            (self.offset, self.size, self.read) = (offset, size, read)",
    "        }",
    "    }",
    "",
    "    /// Checks that a layout with only `field` set by `set` holds `value` there as C reads it, and",
    "    /// no byte outside the field's C offset and size (`count`: how many bytes should be set).",
    "    func check<L: KernelLayout>(_ field: String, in fields: [String: Field], expecting value: UInt64,",
    "                                bytes count: Int? = nil, _ set: (inout L) -> Void) {",
    "        guard let c = fields[field] else { Issue.record(\"\\(field): no C field\"); return }",
    "        #expect(c.offset + c.size <= L.size, \"\\(field): beyond the layout's \\(L.size) bytes\")",
    "        guard c.offset + c.size <= L.size else { return }",
    "        var layout = L()",
    "        set(&layout)",
    "        let bytes = withUnsafeBytes(of: layout.storage) { Array($0.prefix(L.size)) }",
    "        #expect(bytes.withUnsafeBytes { c.read($0.baseAddress) } == value, \"\\(field): C reads another value\")",
    "        let touched = bytes.indices.filter { bytes[$0] != 0 }",
    "        #expect(touched.allSatisfy { (c.offset..<c.offset + c.size).contains($0) },",
    "                \"\\(field): bytes \\(touched) outside \\(c.offset)..<\\(c.offset + c.size)\")",
    "        if let count { #expect(touched.count == count, \"\\(field): \\(touched.count) bytes set\") }",
    "    }",
]


def main():
    header = header_from(dump_btf_as_c())
    cdir = os.path.join(root, "Tests", "CKernelLayouts")
    os.makedirs(os.path.join(cdir, "include"), exist_ok=True)
    header_path = os.path.join(cdir, "kernel_layouts.h")
    with open(header_path, "w") as f:
        f.write(header)
    trees, sizes = layouts_of(header_path)

    swift = ["// Generated by Scripts/generate-kernel-layouts.py from the running kernel's BTF", "// (" +
             header.splitlines()[0].split("BTF of ")[1] + "). Do not edit: change the script and run it again.", ""]
    cdecl = ["/* Generated by Scripts/generate-kernel-layouts.py. Do not edit. */", "#include <stddef.h>",
             "#include <string.h>", "#include \"kernel_layouts.h\"", "#include \"kernel_layout_checks.h\"", ""]
    hdecl = ["/* Generated by Scripts/generate-kernel-layouts.py. Do not edit. */", "#ifndef KERNEL_LAYOUT_CHECK_LINESS_H",
             "#define KERNEL_LAYOUT_CHECK_LINESS_H", "#include <stddef.h>", "",
             "/// A field of a kernel structure as the C compiler lays it out.",
             "struct kl_field { const char *name; size_t offset; size_t size; unsigned long long (*read)(const void *); };", ""]
    tests = ["// Generated by Scripts/generate-kernel-layouts.py. Do not edit.", "@testable import BPF",
             "import CKernelLayouts", "import Testing", "",
             "/// Every field of every generated layout, written through Swift and read back by C compiled",
             "/// from the kernel's definitions: same offset, same size, no other byte touched.",
             "@Suite struct KernelLayoutTests {"]
    for name, crecord, selector, purpose in LAYOUTS:
        node, cprefix = select(trees, crecord, selector)
        size = sizes[node.ctype] if node.ctype in sizes else sizes[crecord]
        words = (size + 7) // 8
        swift += [f"/// {purpose}: the kernel's layout, every field named.", f"struct {name}: KernelLayout {{",
                  f"    static let size = {size}", f"    var storage = InlineArray<{words}, UInt64>(repeating: 0)", "",
                  "    init() {}", ""]
        base = "((const " + crecord + " *)p)->"
        cfields = []
        tests += [f"    @Test func {name[0].lower() + name[1:]}() {{",
                  f"        let fields = fieldsOf{name}",
                  f"        #expect({name}.size == kl_{name}_sizeof())"]
        seen = set()
        for leaf, spath, cpath in leaves(node, [], []):
            kind, fsize, stype = field_type(leaf.ctype)
            prop = RENAMED.get(camel(spath), camel(spath))
            if prop in seen or kind is None:
                continue
            seen.add(prop)
            cexpr = base + ".".join(cprefix + cpath)
            cname = f"kl_{name}_{prop}"
            doc = "/// `" + ".".join(cprefix + cpath) + "`"
            if leaf.bits:
                # clang prints the byte holding the first bit and the bit range from there; the
                # accessors work on the aligned 32-bit word holding the whole field.
                first = leaf.offset * 8 + leaf.bits[0]
                width = leaf.bits[1] - leaf.bits[0] + 1
                off, lo = first // 32 * 4, first % 32
                if lo + width > 32:
                    sys.exit(f"{name}.{prop}: a bitfield across 32-bit words")
                swift += [f"    {doc}", f"    var {prop}: UInt32 {{ get {{ bits({off}, from: {lo}, count: {width}) }}"
                          f" set {{ setBits(newValue, at: {off}, from: {lo}, count: {width}) }} }}"]
                cfields.append((prop, f"{off}", "4", f"return {cexpr};", cname))
                tests += [f"        check(\"{prop}\", in: fields, expecting: 1) {{ (l: inout {name}) in l.{prop} = 1 }}"]
                continue
            off = leaf.offset
            if kind == "string":
                swift += [f"    {doc}", f"    var {prop}: String {{ get {{ string({off}, count: {fsize}) }}"
                          f" set {{ setString(newValue, at: {off}, count: {fsize}) }} }}"]
                cfields.append((prop, f"offsetof({crecord}, {'.'.join(cprefix + cpath)})",
                                f"sizeof({cexpr.replace('p)->', '0)->')})", f"return (unsigned char){cexpr}[0];", cname))
                tests += [f"        check(\"{prop}\", in: fields, expecting: 0x41, bytes: {fsize - 1}) {{ (l: inout {name}) in",
                          f"            l.{prop} = String(repeating: \"A\", count: {fsize})", "        }"]
            elif kind == "bytes":
                swift += [f"    {doc}", f"    var {prop}: [UInt8] {{ get {{ bytes({off}, count: {fsize}) }}"
                          f" set {{ setBytes(newValue, at: {off}, count: {fsize}) }} }}"]
                cfields.append((prop, f"offsetof({crecord}, {'.'.join(cprefix + cpath)})",
                                f"sizeof({cexpr.replace('p)->', '0)->')})", f"return {cexpr}[0];", cname))
                tests += [f"        check(\"{prop}\", in: fields, expecting: 0xA5, bytes: {fsize}) {{ (l: inout {name}) in",
                          f"            l.{prop} = Array(repeating: 0xA5, count: {fsize})", "        }"]
            else:
                swift += [f"    {doc}", f"    var {prop}: {stype} {{ get {{ load({off}) }} set {{ store(newValue, at: {off}) }} }}"]
                cfields.append((prop, f"offsetof({crecord}, {'.'.join(cprefix + cpath)})",
                                f"sizeof({cexpr.replace('p)->', '0)->')})", f"return (unsigned long long)({UNSIGNED[fsize]}){cexpr};", cname))
                pattern = {1: "0xA5", 2: "0xA5B6", 4: "0xA5B6_C7D8", 8: "0xA5B6_C7D8_E9FA_0B1C"}[fsize]
                value = pattern if not stype.startswith("Int") else f"{stype}(bitPattern: {pattern})"
                tests += [f"        check(\"{prop}\", in: fields, expecting: {pattern}) {{ (l: inout {name}) in",
                          f"            l.{prop} = {value}", "        }"]
        swift += ["}", ""]
        cvar = "(const " + crecord + " *)0"
        outer = f"sizeof((({cvar})->{'.'.join(cprefix)}))" if cprefix else (
            f"sizeof({crecord})" if selector is None else str(size))
        hdecl.append(f"size_t kl_{name}_sizeof(void);")
        cdecl += [f"size_t kl_{name}_sizeof(void) {{ return {outer}; }}"]
        for prop, off, sz, read, cname in cfields:
            hdecl.append(f"unsigned long long {cname}(const void *p);")
            hdecl.append(f"size_t {cname}_offset(void);")
            hdecl.append(f"size_t {cname}_size(void);")
            cdecl += [f"unsigned long long {cname}(const void *p) {{ {read} }}",
                      f"size_t {cname}_offset(void) {{ return {off}; }}",
                      f"size_t {cname}_size(void) {{ return {sz}; }}"]
        cdecl.append("")
        hdecl.append("")
        tests.append("    }")
        tests.append("")
        tests.append(f"    let fieldsOf{name}: [String: Field] = [")
        for prop, _, _, _, cname in cfields:
            tests.append(f"        \"{prop}\": Field({cname}_offset(), {cname}_size(), {cname}),")
        tests.append("    ]")
        tests.append("")
    tests += CHECK_LINES
    tests.append("}")
    hdecl += ["#endif", ""]
    out_swift = os.path.join(root, "Sources", "BPF", "Syscall", "KernelLayouts.swift")
    os.makedirs(os.path.dirname(out_swift), exist_ok=True)
    with open(out_swift, "w") as f:
        f.write("\n".join(swift).rstrip() + "\n")
    with open(os.path.join(cdir, "kernel_layouts.c"), "w") as f:
        f.write("\n".join(cdecl).rstrip() + "\n")
    with open(os.path.join(cdir, "include", "kernel_layout_checks.h"), "w") as f:
        f.write("\n".join(hdecl))
    with open(os.path.join(root, "Tests", "BPFTests", "KernelLayoutTests.swift"), "w") as f:
        f.write("\n".join(tests) + "\n")


main()
