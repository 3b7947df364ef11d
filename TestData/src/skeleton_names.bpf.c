// SPDX-License-Identifier: GPL-2.0
// C names that collide with what a generated Swift skeleton declares or refers to
// (its nested types, Swift and SwiftPM module names, CLayout's Raw, digit-first
// names, a program named like the skeleton's stored object) and two custom data
// sections whose map names (15 characters) are equal: the skeleton must still
// compile and bind each name to its own object.
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct bss { int a; };
struct Frozen { int f; };
struct swift { int s; };
struct B_P_F { int b; };
struct BPFObject { int o; };
struct copyable { int c; };
struct raw { int r; };
struct outer { struct raw raw; struct raw load; int store; };
struct _1 { int a; };
enum _5 { _5 = 1, _6 };
struct Spec { int x; };
struct Maps { int y; };

struct bss b1;
const volatile struct Frozen cfg = { 1 };
struct swift sw;
struct B_P_F bpf_value;
struct BPFObject object_value;
struct copyable cp;
struct outer outer_value;
struct _1 _1;
enum _5 five = _6;
struct Spec spec_value;
struct Maps maps_value;
int alpha_count SEC(".data.counters_alpha") = 1;
int beta_count SEC(".data.counters_beta") = 2;

SEC("syscall")
int object(void *ctx)
{
    alpha_count += 10;
    beta_count += 20;
    return b1.a + cfg.f + sw.s + bpf_value.b + object_value.o + cp.c + outer_value.store + _1.a + five
        + spec_value.x + maps_value.y;
}
