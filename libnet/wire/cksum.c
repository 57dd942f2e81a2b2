// cksum: the Internet checksum (RFC 1071), the one's-complement sum of
// 16-bit big-endian words, shared by IPv4, ICMP, UDP and TCP. Sums are
// built in pieces (pseudo-header, header, payload) and folded once.
#include "libnet/wire.h"

// Add len bytes at p to the partial sum. An odd final byte counts as
// the high byte of a word padded with zero (RFC 1071 4.1), so only the
// last piece of a checksummed run may have an odd length.
uint32_t
cksum_add(uint32_t sum, const uint8_t *p, size_t len)
{
  uint64_t s = sum;
  size_t i;

  for(i = 0; i + 1 < len; i += 2)
    s += get16(p + i);
  if(len & 1)
    s += (uint32_t)p[len - 1] << 8;
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
