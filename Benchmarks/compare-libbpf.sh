#!/usr/bin/env bash
# Side-by-side parse timings, libbpf vs SwiftBPF, in one run on this machine.
#
# Usage: Benchmarks/compare-libbpf.sh [FILE...]
#   default inputs: /sys/kernel/btf/vmlinux and the TestData objects.
# For each input and operation it runs libbpf's and our timing program
# alternately (ROUNDS times, default 3), takes the median of each side's
# medians, and prints libbpf's, ours and the ratio libbpf/ours (>1: we are faster).
# Operations: btf (btf__new vs BTF(unsafeBytes:), to an id-indexed state) and
# btf-lookup (1,000 btf__find_by_name_kind vs name-index lookups; ours includes
# nothing of the index build, which parse-bench btf-index times separately).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
rounds=${ROUNDS:-3}

if [ ! -f /usr/include/bpf/btf.h ]; then
    echo "installing libbpf-dev (the reference side)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libbpf-dev >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/libbpf-bench" "$here/libbpf/libbpf-bench.c" -lbpf
(cd "$here" && swift build -c release --product parse-bench >&2)
ours="$(cd "$here" && swift build -c release --show-bin-path)/parse-bench"

inputs=("$@")
if [ ${#inputs[@]} -eq 0 ]; then
    [ -r /sys/kernel/btf/vmlinux ] && inputs+=(/sys/kernel/btf/vmlinux)
    inputs+=("$root"/TestData/obj/*.bpfel.o)
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }

printf '%-10s %-44s %12s %12s %8s\n' op input libbpf_us ours_us ratio
for op in btf btf-lookup; do
    for input in "${inputs[@]}"; do
        theirs_runs=() ours_runs=()
        for _ in $(seq "$rounds"); do
            t=$("$work/libbpf-bench" "$op" "$input" | field median_us)
            o=$("$ours" "$op" "$input" | field median_us)
            [ -n "$t" ] && theirs_runs+=("$t")
            [ -n "$o" ] && ours_runs+=("$o")
        done
        if [ ${#theirs_runs[@]} -eq 0 ] || [ ${#ours_runs[@]} -eq 0 ]; then
            printf '%-10s %-44s %12s %12s %8s\n' "$op" "$(basename "$input")" "${theirs_runs[0]:--}" "${ours_runs[0]:--}" "n/a"
            continue
        fi
        t=$(printf '%s\n' "${theirs_runs[@]}" | median)
        o=$(printf '%s\n' "${ours_runs[@]}" | median)
        printf '%-10s %-44s %12s %12s %8s\n' "$op" "$(basename "$input")" "$t" "$o" "$(awk -v t="$t" -v o="$o" 'BEGIN {printf "%.2f", t / o}')"
    done
done
