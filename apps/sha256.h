// sha256: SHA-256 (FIPS 180-4), for programs that check what they move
// (sha256sum, tcpbulk). One context per stream: init, update any number
// of times, then final.
#ifndef APPS_SHA256_H
#define APPS_SHA256_H

struct sha256 {
  uint32 h[8];        // the intermediate hash value H(i)
  uint8 block[64];    // the message block being filled
  uint32 nblock;      // bytes in block
  uint64 len;         // message length so far, in bytes
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const uint8 *p, uint n);
void sha256_final(struct sha256 *s, uint8 out[32]);
void sha256_hex(struct sha256 *s, char hex[65]);   // final, as 64 hex digits

#endif
