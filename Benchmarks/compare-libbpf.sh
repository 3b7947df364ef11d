#!/usr/bin/env bash
# Side-by-side parse timings, libbpf vs SwiftBPF, in one run on this machine.
#
# Usage: Benchmarks/compare-libbpf.sh [FILE...]
#   default inputs: /sys/kernel/btf/vmlinux and the TestData objects.
# For each input and operation it runs libbpf's and our timing program
# alternately (ROUNDS times, default 7), and prints the median of each side's
# times and the median of the per-round ratios libbpf/ours (>1: we are faster).
# The ratio is taken per round, and objects alternate sides one by one, because
# this kind of machine (a VM) has slow phases lasting seconds: runs close in
# time see the same phase, runs seconds apart may not.
# Operations: object (bpf_object__open_mem vs ObjectSpec: programs, maps,
# relocations, BTF; an input directory sums over the objects both can open),
# btf (btf__new vs BTF(unsafeBytes:), to an id-indexed state),
# btf-lookup (1,000 btf__find_by_name_kind vs name-index lookups; ours includes
# nothing of the index build, which parse-bench btf-index times separately),
# dedup (btf__new + btf__dedup vs BTF.deduplicated() of vmlinux), dedup-all (the
# corpus objects' BTF appended and deduplicated together) and link (bpf_linker vs
# BPFLinker on TestData's link_lib + link_main; files read and written each run).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
rounds=${ROUNDS:-7}

source "$here/build-both.sh"

inputs=("$@")
if [ ${#inputs[@]} -eq 0 ]; then
    [ -r /sys/kernel/btf/vmlinux ] && inputs+=(/sys/kernel/btf/vmlinux)
    inputs+=("$root"/TestData/obj/*.bpfel.o)
    [ -d "$root/../shared/corpus" ] && inputs+=("$root/../shared/corpus/libbpf-rs/tests/bin" "$root/../shared/corpus/ebpf-samples/falco/probe.o")
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
# Peak RSS of the whole process and its growth past the resident set before the first run (what
# the operation itself adds: the runtimes differ, a Swift process starting at about 9 MB), each side.
rss_line() {
    printf '   peak RSS libbpf %s KB (+%s), ours %s KB (+%s)' "$(echo "$1" | field peak_rss_kb)" \
        "$(echo "$1" | field rss_growth_kb)" "$(echo "$2" | field peak_rss_kb)" "$(echo "$2" | field rss_growth_kb)"
}


printf '%-10s %-44s %12s %12s %8s\n' op input libbpf_us ours_us ratio

# Objects: expand directories, keep the files both sides can open, time each file
# (BENCH_SECONDS per file), and compare the sums of the medians.
objects=()
for input in "${inputs[@]}"; do
    if [ -d "$input" ]; then
        while IFS= read -r f; do objects+=("$f"); done < <(find "$input" -type f \( -name '*.o' -o -name '*.elf' \) | sort)
    elif [[ "$input" == *.o || "$input" == *.elf ]]; then
        objects+=("$input")
    fi
done
if [ ${#objects[@]} -gt 0 ]; then
    opened() { grep -v skipped | sed -n 's/.* input=\([^ ]*\) .*/\1/p' | sort; }
    both=$(comm -12 <(BENCH_SECONDS=0 "$theirs" object "${objects[@]}" | opened) \
                    <(BENCH_SECONDS=0 "$ours" object "${objects[@]}" | opened))
    mapfile -t common <<< "$both"
    # Each round times every object on both sides, alternating per object, so that both sums see the same phases.
    seconds=${OBJECT_SECONDS:-0.05}
    theirs_runs=() ours_runs=() ratios=()
    for _ in $(seq "$rounds"); do
        t=0 o=0
        for f in "${common[@]}"; do
            t=$(awk -v s="$t" -v x="$(BENCH_SECONDS=$seconds "$theirs" object "$f" | field median_us)" 'BEGIN {print s + x}')
            o=$(awk -v s="$o" -v x="$(BENCH_SECONDS=$seconds "$ours" object "$f" | field median_us)" 'BEGIN {print s + x}')
        done
        theirs_runs+=("$t") ours_runs+=("$o") ratios+=("$(awk -v t="$t" -v o="$o" 'BEGIN {printf "%.3f", t / o}')")
    done
    t=$(printf '%s\n' "${theirs_runs[@]}" | median)
    o=$(printf '%s\n' "${ours_runs[@]}" | median)
    r=$(printf '%s\n' "${ratios[@]}" | median)
    printf '%-10s %-44s %12s %12s %8.2f\n' object "sum of ${#common[@]} objects both open" "$t" "$o" "$r"
    echo "           (per-round ratios: $(printf '%s ' "${ratios[@]}"))"
    echo "           (of ${#objects[@]} objects: libbpf opens $(BENCH_SECONDS=0 "$theirs" object "${objects[@]}" | grep -vc skipped), SwiftBPF $(BENCH_SECONDS=0 "$ours" object "${objects[@]}" | grep -vc skipped))"
fi

# End-to-end loads (kernel time included; root needed), per object: wall time and the
# user-space CPU time per load, whose ratio is what the loader itself costs.
if [ "$(id -u)" = 0 ]; then
    printf '%-10s %-44s %12s %12s %8s %10s %10s %8s\n' op input libbpf_us ours_us ratio libbpf_usr ours_usr usr_ratio
    for name in ${LOAD_OBJECTS:-multi metadata globals counter ringbuf}; do
        input=$root/TestData/obj/$name.bpfel.o
        [ -f "$input" ] || continue
        tw=() ow=() tu=() ou=()
        for _ in $(seq "$rounds"); do
            t=$(BENCH_SECONDS=${LOAD_SECONDS:-0.2} "$theirs" load "$input")
            o=$(BENCH_SECONDS=${LOAD_SECONDS:-0.2} "$ours" load "$input")
            tw+=("$(echo "$t" | field median_us)") ow+=("$(echo "$o" | field median_us)")
            tu+=("$(echo "$t" | field user_us)") ou+=("$(echo "$o" | field user_us)")
        done
        if [ -z "${tw[0]}" ] || [ -z "${ow[0]}" ]; then
            printf '%-10s %-44s %12s %12s %8s\n' load "$name.bpfel.o" "${tw[0]:--}" "${ow[0]:--}" "n/a"
            continue
        fi
        a=$(printf '%s\n' "${tw[@]}" | median) b=$(printf '%s\n' "${ow[@]}" | median)
        c=$(printf '%s\n' "${tu[@]}" | median) d=$(printf '%s\n' "${ou[@]}" | median)
        printf '%-10s %-44s %12s %12s %8.2f %10s %10s %8.2f\n' load "$name.bpfel.o" "$a" "$b" "$(awk -v t="$a" -v o="$b" 'BEGIN {print t / o}')" \
            "$c" "$d" "$(awk -v t="$c" -v o="$d" 'BEGIN {print t / o}')"
    done
fi

for op in btf btf-lookup dedup; do
    for input in "${inputs[@]}"; do
        [ -f "$input" ] || continue
        if [ "$op" != btf ] && [[ "$input" != /sys/* ]]; then continue; fi
        theirs_runs=() ours_runs=() ratios=()
        for _ in $(seq "$rounds"); do
            tr=$(BENCH_SECONDS=${BTF_SECONDS:-0.3} "$theirs" "$op" "$input")
            or=$(BENCH_SECONDS=${BTF_SECONDS:-0.3} "$ours" "$op" "$input")
            t=$(echo "$tr" | field median_us) o=$(echo "$or" | field median_us)
            [ -n "$t" ] && theirs_runs+=("$t")
            [ -n "$o" ] && ours_runs+=("$o")
            [ -n "$t" ] && [ -n "$o" ] && ratios+=("$(awk -v t="$t" -v o="$o" 'BEGIN {printf "%.3f", t / o}')")
        done
        if [ ${#theirs_runs[@]} -eq 0 ] || [ ${#ours_runs[@]} -eq 0 ]; then
            printf '%-10s %-44s %12s %12s %8s\n' "$op" "$(basename "$input")" "${theirs_runs[0]:--}" "${ours_runs[0]:--}" "n/a"
            continue
        fi
        t=$(printf '%s\n' "${theirs_runs[@]}" | median)
        o=$(printf '%s\n' "${ours_runs[@]}" | median)
        r=$(printf '%s\n' "${ratios[@]}" | median)
        printf '%-10s %-44s %12s %12s %8.2f' "$op" "$(basename "$input")" "$t" "$o" "$r"
        [ "$op" = dedup ] && rss_line "$tr" "$or"
        echo
    done
done

# Operations over several files at once (one line each): the corpus objects' BTF deduplicated
# together, and the two TestData halves linked. Peak RSS is each side's high-water mark.
compare_all() {
    local op=$1 label=$2; shift 2
    local theirs_runs=() ours_runs=() ratios=() t o tr or
    for _ in $(seq "$rounds"); do
        tr=$(BENCH_SECONDS=${ALL_SECONDS:-0.5} "$theirs" "$op" "$@")
        or=$(BENCH_SECONDS=${ALL_SECONDS:-0.5} "$ours" "$op" "$@")
        t=$(echo "$tr" | field median_us) o=$(echo "$or" | field median_us)
        [ -n "$t" ] && [ -n "$o" ] || { printf '%-10s %-44s %12s %12s %8s\n' "$op" "$label" "${t:--}" "${o:--}" "n/a"; return; }
        theirs_runs+=("$t") ours_runs+=("$o") ratios+=("$(awk -v t="$t" -v o="$o" 'BEGIN {printf "%.3f", t / o}')")
    done
    printf '%-10s %-44s %12s %12s %8.2f' "$op" "$label" \
        "$(printf '%s\n' "${theirs_runs[@]}" | median)" "$(printf '%s\n' "${ours_runs[@]}" | median)" \
        "$(printf '%s\n' "${ratios[@]}" | median)"
    rss_line "$tr" "$or"
    echo
}
if [ -d "$root/../shared/corpus" ]; then
    mapfile -t btf_objects < <(find "$root/../shared/corpus" -name '*.o' -size -300k | sort | while read -r f; do
        # grep reads all (no -q): under pipefail, readelf killed by an early exit would drop the file.
        llvm-readelf -S "$f" 2>/dev/null | grep ' .BTF ' >/dev/null && llvm-readelf -h "$f" | grep 'little endian' >/dev/null \
            && echo "$f"; done)
    [ ${#btf_objects[@]} -gt 0 ] && compare_all dedup-all "BTF of ${#btf_objects[@]} corpus objects together" "${btf_objects[@]}"
fi
compare_all link "link_lib.bpfel.o + link_main.bpfel.o" "$root/TestData/obj/link_lib.bpfel.o" "$root/TestData/obj/link_main.bpfel.o"
