#!/usr/bin/env bash
# Builds swiftbpf as one fully static executable (glibc and the Swift runtime
# linked in; no Foundation anywhere in the product), strips it, and prints
# where it is and its size. Usage: Scripts/build-static.sh [OUTPUT]
# (default OUTPUT: .build-static/swiftbpf).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${1:-.build-static/swiftbpf}
swift build -c release --scratch-path .build-static --static-swift-stdlib -Xswiftc -static-executable -Xswiftc -Osize -Xlinker --gc-sections --product swiftbpf >&2
bin=$(swift build -c release --scratch-path .build-static --static-swift-stdlib -Xswiftc -static-executable -Xswiftc -Osize -Xlinker --gc-sections --show-bin-path)/swiftbpf
mkdir -p "$(dirname "$out")"
strip -o "$out.tmp" "$bin"
mv "$out.tmp" "$out"
echo "$out $(stat -c %s "$out") bytes"
