#!/usr/bin/env bash
# User-space instructions per operation, libbpf vs SwiftBPF, counted by valgrind's callgrind.
#
# Usage: Benchmarks/compare-instructions.sh OP FILE...   (OP: object or load; load needs root)
#
# Wall and getrusage times of a 100 µs load are noisy on a VM (user time is sampled by ticks);
# instruction counts are exact and repeatable. Each side runs twice under callgrind: once with
# BENCH_SECONDS=0 (warm-up and 5 runs) and once with BENCH_SECONDS=0.2; the difference in
# instructions divided by the difference in runs is the cost of one run, start-up excluded.
# Prints, per file: libbpf's and our instructions per run and the ratio libbpf/ours
# (above 1: SwiftBPF executes fewer).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 2 ] || { echo "usage: $0 object|load FILE..." >&2; exit 2; }
op=$1; shift
command -v valgrind >/dev/null || { echo "installing valgrind" >&2; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }
source "$here/build-both.sh"

# Instructions per run of `$1 $op FILE`, start-up and warm-up excluded.
per_run() {
    local out0 out1 runs0 runs1 total0 total1
    out0=$(BENCH_SECONDS=0 valgrind --tool=callgrind --callgrind-out-file="$work/cg0" "$1" "$op" "$2" 2>&1)
    out1=$(BENCH_SECONDS=0.2 valgrind --tool=callgrind --callgrind-out-file="$work/cg1" "$1" "$op" "$2" 2>&1)
    runs0=$(sed -n 's/.* runs=\([0-9]*\).*/\1/p' <<< "$out0")
    runs1=$(sed -n 's/.* runs=\([0-9]*\).*/\1/p' <<< "$out1")
    total0=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' <<< "$out0")
    total1=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' <<< "$out1")
    if [ -z "$runs0" ] || [ -z "$runs1" ] || [ "$runs1" -le "$runs0" ]; then echo "-"; return; fi
    echo $(( (total1 - total0) / (runs1 - runs0) ))
}

printf '%-8s %-44s %14s %14s %8s\n' op input libbpf_instr ours_instr ratio
for f in "$@"; do
    t=$(per_run "$theirs" "$f")
    o=$(per_run "$ours" "$f")
    if [ "$t" = - ] || [ "$o" = - ]; then
        printf '%-8s %-44s %14s %14s %8s\n' "$op" "$(basename "$f")" "$t" "$o" "n/a"
    else
        printf '%-8s %-44s %14s %14s %8.2f\n' "$op" "$(basename "$f")" "$t" "$o" "$(awk -v t="$t" -v o="$o" 'BEGIN {print t / o}')"
    fi
done
