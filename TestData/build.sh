#!/usr/bin/env bash
# Rebuilds the committed BPF objects in TestData/obj from TestData/src, in
# both byte orders, and the golden listings the tests compare against:
# llvm-readelf's sections/relocations/symbols and bpftool's raw BTF dump.
# Tests never run this: they use the committed outputs.
#
# Needs: clang with the BPF target, Debian's libbpf-dev (bpf_helpers.h),
# llvm (llvm-readelf) and bpftool. Usage: TestData/build.sh
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-clang}
READELF=${READELF:-llvm-readelf}
BPFTOOL=${BPFTOOL:-bpftool}
ARCH_INCLUDE=/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
# CO-RE sources include vmlinux.h: generate it from this machine's kernel BTF.
GENERATED=$(mktemp -d)
trap 'rm -rf "$GENERATED"' EXIT
"$BPFTOOL" btf dump file /sys/kernel/btf/vmlinux format c > "$GENERATED/vmlinux.h"

# gzip streams of a fixed sample (stored, fixed and dynamic blocks) for the inflate tests.
for level in 1 6 9; do gzip -c -$level -n gzip/sample.bin > gzip/sample-$level.gz; done
gzip -c -n gzip/empty.bin > gzip/empty.gz

for src in src/*.bpf.c; do
    name=$(basename "$src" .bpf.c)
    for order in el eb; do
        out=obj/$name.bpf$order.o
        "$CLANG" -target bpf$order -O2 -g -Wall -Werror -I"$ARCH_INCLUDE" -I"$GENERATED" -c "$src" -o "$out"
        "$READELF" -S -s -r --wide "$out" > golden/$name.bpf$order.readelf.txt
        "$BPFTOOL" btf dump file "$out" format raw > golden/$name.bpf$order.btf.txt
        echo "built $out"
    done
done
