#!/usr/bin/env bash
# Generates a skeleton for every TestData object and every object of ../shared/corpus (when
# present) and type-checks them all against the built modules, warnings as errors: `gen skeleton` must give Swift
# that compiles, or a typed error, whatever the object. Usage: Scripts/check-skeletons.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
swift build --product swiftbpf >&2
bin=$(swift build --show-bin-path)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
generated=0 refused=0 i=0
while IFS= read -r object; do
    i=$((i + 1))
    if "$bin/swiftbpf" gen skeleton "$object" --name "Skeleton$i" --output "$work/Skeleton$i.swift" 2>"$work/error"; then
        generated=$((generated + 1))
    else
        refused=$((refused + 1))
        echo "refused (typed error): $object: $(head -c 200 "$work/error")"
    fi
done < <( (ls TestData/obj/*.o; [ -d ../shared/corpus ] && find ../shared/corpus -name '*.o') | sort)
echo "$generated skeletons generated, $refused objects refused; type-checking"
modulemap=$(find "$bin/" -path '*CBPFSyscall.build/module.modulemap' | head -1)
swiftc -typecheck -warnings-as-errors -I "$bin/Modules" -Xcc -fmodule-map-file="$modulemap" -Xcc -ISources/CBPFSyscall/include "$work"/*.swift
echo "all $generated type-check"
