#ifndef CFUZZSUPPORT_H
#define CFUZZSUPPORT_H
#include <stddef.h>
#include <stdint.h>

// libFuzzer's own byte-level mutator, which a custom mutator may call (provided by -fsanitize=fuzzer).
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

#endif
