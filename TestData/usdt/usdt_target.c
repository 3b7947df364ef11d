// SPDX-License-Identifier: GPL-2.0
// A user program with USDT probes (<sys/sdt.h>, Debian's systemtap-sdt-dev), for the USDT tests.
// Built by TestData/usdt/build.sh; the binary is committed (tests never need a compiler).
//
//   usdt_target [N]   runs N rounds (default 3), then exits.
//
// Probes (provider swiftbpf): args (four arguments of four sizes and signs, in registers),
// stack (arguments read from memory: the function is built unoptimised), constant (a constant
// and a register), plain (no argument), twice (one probe at two sites), guarded (behind its
// semaphore: the argument is computed only while a tracer holds the semaphore).
#define _SDT_HAS_SEMAPHORES 1
#include <stdlib.h>
#include <sys/sdt.h>

#define SEMAPHORE(name) unsigned short swiftbpf_##name##_semaphore __attribute__((unused, section(".probes")))
SEMAPHORE(args);
SEMAPHORE(stack);
SEMAPHORE(constant);
SEMAPHORE(plain);
SEMAPHORE(twice);
SEMAPHORE(guarded);

volatile long sink;

__attribute__((noinline)) static void in_registers(int i, long big, short small, unsigned char byte)
{
    STAP_PROBE4(swiftbpf, args, i, big, small, byte);
    sink += i;
}

__attribute__((noinline, optimize("O0"))) static void on_stack(int i, long big)
{
    long local = big + 1;
    STAP_PROBE2(swiftbpf, stack, i, local);
    sink += local;
}

__attribute__((noinline)) static long expensive(int i)
{
    return (long)i * 1000 + 7;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    for (int i = 0; i < rounds; i++) {
        in_registers(i, -1000000000000L * (i + 1), (short)(-i - 1), (unsigned char)(200 + i));
        on_stack(i, 5000000000L + i);
        STAP_PROBE2(swiftbpf, constant, 42, i);
        STAP_PROBE(swiftbpf, plain);
        STAP_PROBE1(swiftbpf, twice, 1);
        if (i % 2 == 0)
            STAP_PROBE1(swiftbpf, twice, 2);
        if (swiftbpf_guarded_semaphore)
            STAP_PROBE1(swiftbpf, guarded, expensive(i));
    }
    return 0;
}
