// cksum: the Internet checksum (RFC 1071), the one's-complement sum of
// 16-bit big-endian words, shared by IPv4, ICMP, UDP and TCP. Sums are
// built in pieces (pseudo-header, header, payload) and folded once.
#include "libnet/wire.h"

typedef uint32_t __attribute__((may_alias)) word32;
typedef uint16_t __attribute__((may_alias)) word16;

// Add len bytes at p to the partial sum. An odd final byte counts as
// the high byte of a word padded with zero (RFC 1071 4.1), so only the
// last piece of a checksummed run may have an odd length.
//
// The one's-complement sum does not care about byte order as long as
// every word is read the same way (RFC 1071 2(B)): the words are added
// 32 bits at a time as the machine loads them, folded to 16 bits and
// swapped once at the end on a little-endian machine. Aligned loads
// only (p is usually 2 bytes past a 4-byte boundary, behind an Ethernet
// header); an odd address takes the byte-pair loop.
uint32_t
cksum_add(uint32_t sum, const uint8_t *p, size_t len)
{
  uint64_t s = 0;

  if(((uintptr_t)p & 1) == 0){
    if(((uintptr_t)p & 2) && len >= 2){
      s += *(const word16 *)p;
      p += 2;
      len -= 2;
    }
    for(; len >= 16; p += 16, len -= 16)
      s += (uint64_t)((const word32 *)p)[0] + ((const word32 *)p)[1] +
           ((const word32 *)p)[2] + ((const word32 *)p)[3];
    for(; len >= 4; p += 4, len -= 4)
      s += *(const word32 *)p;
    if(len >= 2){
      s += *(const word16 *)p;
      p += 2;
      len -= 2;
    }
    if(len){
      uint8_t last[2] = { p[0], 0 };
      s += *(const word16 *)last;
    }
    while(s >> 16)
      s = (s & 0xffff) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    s = ((s & 0xff) << 8) | (s >> 8);
#endif
  } else {
    size_t i;
    for(i = 0; i + 1 < len; i += 2)
      s += get16(p + i);
    if(len & 1)
      s += (uint32_t)p[len - 1] << 8;
  }
  s += sum;
  // End-around carry (RFC 1071 2(B)): carries out of 32 bits fold back
  // in, so callers can chain any number of pieces without overflow.
  while(s >> 32)
    s = (s & 0xffffffff) + (s >> 32);
  return s;
}

// Fold the partial sum to 16 bits and complement it: the value to put
// in a checksum field, or 0 when checking a run that includes one.
uint16_t
cksum_fold(uint32_t sum)
{
  while(sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

// The IPv4 pseudo-header that UDP and TCP checksum ahead of their own
// bytes (RFC 768; RFC 9293 3.1): source, destination, zero, protocol,
// and the transport length.
uint32_t
cksum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
  return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}
