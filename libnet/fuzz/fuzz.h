// fuzz.h: what libnet's libFuzzer targets share. Each target feeds the
// input to one parser, checks what a successful parse promises, emits
// the repr and parses that again. Random bytes rarely carry a right
// checksum, so targets also parse a copy with the checksum repaired,
// which lets the fuzzer reach the code behind the checksum check.
#ifndef LIBNET_FUZZ_H
#define LIBNET_FUZZ_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "libnet/wire.h"

// A broken promise aborts, which libFuzzer reports as a crash.
#define FUZZ_CHECK(c) do { \
  if(!(c)){ \
    fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
    abort(); \
  } \
} while(0)

// Any parser result is a length or one of the WIRE_E* codes.
#define FUZZ_ISERR(n) ((n) >= WIRE_EFORMAT && (n) <= WIRE_ESHORT)

// A malloc'd copy of the input, so ASan bounds it exactly as libFuzzer's.
static uint8_t * __attribute__((unused))
fuzz_dup(const uint8_t *data, size_t size)
{
  uint8_t *p = malloc(size ? size : 1);

  FUZZ_CHECK(p != 0);
  memcpy(p, data, size);
  return p;
}
#endif
