#!/usr/bin/env bash
# Extracts seed inputs from TestData objects (and the corpus, when present):
# raw .BTF sections for FuzzBTF, (u32 length, .BTF, .BTF.ext) bundles for
# FuzzBTFExt, and for FuzzELF/FuzzObject debug-stripped copies of objects
# larger than the fuzzers' 64 KiB input limit (DWARF from vmlinux.h makes
# the CO-RE, iterator and struct_ops objects ~640 KB; stripped, ~30 KB).
# Needs llvm-objcopy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
objcopy=$(command -v llvm-objcopy || echo /opt/swift/usr/bin/llvm-objcopy)
mkdir -p "$here/seeds/FuzzBTF" "$here/seeds/FuzzBTFExt" "$here/seeds/Objects"
objects=("$root"/TestData/obj/*.o)
[ -d "$root/../shared/corpus" ] && while IFS= read -r f; do objects+=("$f"); done < <(find "$root/../shared/corpus" -name '*.o' -size -300k)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for obj in "${objects[@]}"; do
    name=$(basename "$obj" .o)
    if [ "$(stat -c %s "$obj")" -gt 65536 ]; then
        "$objcopy" --strip-debug "$obj" "$here/seeds/Objects/$name.stripped.o" 2>/dev/null || true
    fi
    "$objcopy" --dump-section .BTF="$tmp/btf" "$obj" /dev/null 2>/dev/null || continue
    cp "$tmp/btf" "$here/seeds/FuzzBTF/$name.btf"
    if "$objcopy" --dump-section .BTF.ext="$tmp/ext" "$obj" /dev/null 2>/dev/null; then
        python3 -c 'import struct,sys; b=open(sys.argv[1],"rb").read(); e=open(sys.argv[2],"rb").read(); sys.stdout.buffer.write(struct.pack("<I",len(b))+b+e)' \
            "$tmp/btf" "$tmp/ext" > "$here/seeds/FuzzBTFExt/$name.bin"
    fi
done
ls "$here/seeds/FuzzBTF" | wc -l
