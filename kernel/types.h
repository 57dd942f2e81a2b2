// Basic types, shared by kernel and user space.
// The fixed-width <stdint.h> names are used in the ABI headers and libnet;
// the short xv6 names in the kernel proper.
#ifndef TYPES_H
#define TYPES_H
#include <stdint.h>

typedef unsigned int   uint;
typedef unsigned short ushort;
typedef unsigned char  uchar;

typedef uint8_t  uint8;
typedef uint16_t uint16;
typedef uint32_t uint32;
typedef uint64_t uint64;

typedef uint64 pde_t;
#endif
