#!/usr/bin/env bash
# Builds swiftbpf as one fully static executable (glibc and the Swift runtime
# linked in; no Foundation anywhere in the product), strips it, and prints
# where it is and its size. Usage: Scripts/build-static.sh [OUTPUT]
# (default OUTPUT: .build-static/swiftbpf).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${1:-.build-static/swiftbpf}
# lld folds identical functions (--icf=all); --gc-sections drops what nothing reaches.
flags=(-c release --scratch-path .build-static --static-swift-stdlib -Xswiftc -static-executable -Xswiftc -Osize
       -Xswiftc -use-ld=lld -Xlinker --gc-sections -Xlinker --icf=all)
swift build "${flags[@]}" --product swiftbpf >&2
bin=$(swift build "${flags[@]}" --show-bin-path)/swiftbpf
mkdir -p "$(dirname "$out")"
strip -o "$out.tmp" "$bin"
mv "$out.tmp" "$out"
echo "$out $(stat -c %s "$out") bytes"
