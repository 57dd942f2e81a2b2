// sha256: SHA-256 written from FIPS 180-4 sections 4.1.2, 4.2.2, 5.1.1,
// 5.3.3 and 6.2 (sha256.h).
#include "apps/user.h"
#include "apps/sha256.h"

// FIPS 180-4 4.2.2: the first 32 bits of the fractional parts of the
// cube roots of the first 64 primes.
static const uint32 K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32
rotr(uint32 x, int n)
{
  return (x >> n) | (x << (32 - n));
}

// 5.3.3: the initial hash value, the first 32 bits of the fractional
// parts of the square roots of the first 8 primes.
void
sha256_init(struct sha256 *s)
{
  static const uint32 h0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  };

  memmove(s->h, h0, sizeof(h0));
  s->nblock = 0;
  s->len = 0;
}

// 6.2.2: hash one 512-bit block into s->h. The message words are
// big-endian (5.2.1 reads the block as a sequence of 32-bit words).
static void
sha256_block(struct sha256 *s, const uint8 *p)
{
  uint32 w[64], a, b, c, d, e, f, g, h, t1, t2;
  int t;

  for(t = 0; t < 16; t++)
    w[t] = (uint32)p[4*t] << 24 | p[4*t+1] << 16 | p[4*t+2] << 8 | p[4*t+3];
  for(t = 16; t < 64; t++){
    uint32 s0 = rotr(w[t-15], 7) ^ rotr(w[t-15], 18) ^ (w[t-15] >> 3);   // sigma0 (4.6)
    uint32 s1 = rotr(w[t-2], 17) ^ rotr(w[t-2], 19) ^ (w[t-2] >> 10);    // sigma1 (4.7)
    w[t] = s1 + w[t-7] + s0 + w[t-16];
  }
  a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3];
  e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
  for(t = 0; t < 64; t++){
    // Sigma1 (4.5), Ch (4.2), Sigma0 (4.4), Maj (4.3)
    t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
    t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g; g = f; f = e; e = d + t1;
    d = c; c = b; b = a; a = t1 + t2;
  }
  s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
  s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

void
sha256_update(struct sha256 *s, const uint8 *p, uint n)
{
  uint k;

  s->len += n;
  if(s->nblock > 0){
    k = 64 - s->nblock < n ? 64 - s->nblock : n;
    memmove(s->block + s->nblock, p, k);
    s->nblock += k;
    p += k;
    n -= k;
    if(s->nblock < 64)
      return;
    sha256_block(s, s->block);
    s->nblock = 0;
  }
  // whole blocks straight from the caller's buffer, without a copy
  for(; n >= 64; p += 64, n -= 64)
    sha256_block(s, p);
  memmove(s->block, p, n);
  s->nblock = n;
}

// 5.1.1: append a 1 bit, zeros up to 448 bits mod 512, then the
// message length in bits as a 64-bit big-endian number.
void
sha256_final(struct sha256 *s, uint8 out[32])
{
  uint64 bits = s->len * 8;
  int i;

  s->block[s->nblock++] = 0x80;
  if(s->nblock > 56){
    memset(s->block + s->nblock, 0, 64 - s->nblock);
    sha256_block(s, s->block);
    s->nblock = 0;
  }
  memset(s->block + s->nblock, 0, 56 - s->nblock);
  for(i = 0; i < 8; i++)
    s->block[56 + i] = bits >> (56 - 8 * i);
  sha256_block(s, s->block);
  for(i = 0; i < 32; i++)
    out[i] = s->h[i / 4] >> (24 - 8 * (i % 4));
}

void
sha256_hex(struct sha256 *s, char hex[65])
{
  static const char digits[] = "0123456789abcdef";
  uint8 out[32];

  sha256_final(s, out);
  for(int i = 0; i < 32; i++){
    hex[2 * i] = digits[out[i] >> 4];
    hex[2 * i + 1] = digits[out[i] & 15];
  }
  hex[64] = 0;
}
