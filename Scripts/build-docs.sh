#!/usr/bin/env bash
# Builds the DocC documentation of the library modules without the swift-docc
# plugin (the package has no dependencies): symbol graphs from
# `swift package dump-symbol-graph`, then the toolchain's `docc convert` per
# module catalog, with warnings (unresolved links, unknown symbols) as errors.
# Output: .build/docs/<Module>.doccarchive. Usage: Scripts/build-docs.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
graphs=$(swift package dump-symbol-graph --minimum-access-level public 2>&1 | sed -n 's/.*Files written to \(.*\)$/\1/p' | tail -1)
[ -d "$graphs" ] || { echo "no symbol graphs were written" >&2; exit 1; }
mkdir -p .build/docs
for module in ELF64 BTF BPFObject BPF BPFAsync; do
    work=$(mktemp -d)
    cp "$graphs/$module".symbols.json "$work/"
    cp "$graphs/$module"@*.symbols.json "$work/" 2>/dev/null || true
    docc convert "Sources/$module/$module.docc" --additional-symbol-graph-dir "$work" \
        --fallback-display-name "$module" --fallback-bundle-identifier "org.swiftbpf.$module" \
        --output-path ".build/docs/$module.doccarchive" --warnings-as-errors >&2
    rm -rf "$work"
    echo "$module: .build/docs/$module.doccarchive"
done
