// tcp: the TCP header (RFC 9293 3.1) and the options a connection
// uses: MSS (RFC 9293 3.7.1), window scale and timestamps (RFC 7323 2,
// 3), SACK-permitted and SACK blocks (RFC 2018 2, 3). Anything else is
// skipped; no sequence arithmetic or state lives here.
#include "libnet/wire.h"

enum {
  TCP_SPORT = 0, TCP_DPORT = 2, TCP_SEQ = 4, TCP_ACK_OFF = 8, TCP_OFF = 12,
  TCP_FLAGS = 13, TCP_WIN = 14, TCP_SUM = 16, TCP_URP = 18,
};
enum { OPT_EOL = 0, OPT_NOP = 1, OPT_MSS = 2, OPT_WS = 3, OPT_SACKOK = 4, OPT_SACK = 5, OPT_TS = 8 };
enum { OPT_MSS_LEN = 4, OPT_WS_LEN = 3, OPT_SACKOK_LEN = 2, OPT_TS_LEN = 10 };

// RFC 7323 2.3: a shift above 14 MUST be taken as 14.
enum { TCP_MAXWS = 14 };

// Parse the n option bytes at o into r. Returns 0, or WIRE_EFORMAT for
// an option that runs past the header or has an illegal length
// (RFC 9293 3.1, MUST-7). Options we do not know are skipped by their
// length field (MUST-6); a known option's length is fixed by its RFC.
static int
tcp_options(const uint8_t *o, size_t n, struct tcp_repr *r)
{
  size_t i, olen;

  for(i = 0; i < n; i += olen){
    if(o[i] == OPT_EOL)
      break;
    if(o[i] == OPT_NOP){
      olen = 1;
      continue;
    }
    if(i + 1 >= n)
      return WIRE_EFORMAT;
    olen = o[i + 1];
    if(olen < 2 || olen > n - i)
      return WIRE_EFORMAT;
    switch(o[i]){
    case OPT_MSS:
      if(olen != OPT_MSS_LEN)
        return WIRE_EFORMAT;
      r->mss = get16(o + i + 2);
      break;
    case OPT_WS:
      if(olen != OPT_WS_LEN)
        return WIRE_EFORMAT;
      r->wscale = o[i + 2] > TCP_MAXWS ? TCP_MAXWS : o[i + 2];
      break;
    case OPT_SACKOK:
      if(olen != OPT_SACKOK_LEN)
        return WIRE_EFORMAT;
      r->sackok = 1;
      break;
    case OPT_TS:
      if(olen != OPT_TS_LEN)
        return WIRE_EFORMAT;
      r->tsok = 1;
      r->tsval = get32(o + i + 2);
      r->tsecr = get32(o + i + 6);
      break;
    case OPT_SACK:
      // RFC 2018 3: 8 bytes per block, 1 to 4 blocks.
      if(olen < 10 || (olen - 2) % 8 != 0 || (olen - 2) / 8 > TCP_MAXSACK)
        return WIRE_EFORMAT;
      r->nsack = (olen - 2) / 8;
      for(int k = 0; k < r->nsack; k++){
        r->sack[k][0] = get32(o + i + 2 + 8 * k);
        r->sack[k][1] = get32(o + i + 6 + 8 * k);
      }
      break;
    }
  }
  return 0;
}

// Returns the data offset in bytes or WIRE_E*. len is the whole
// segment, as IP delimits it: the checksum covers all of it.
int
tcp_parse(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, struct tcp_repr *r)
{
  size_t hlen;

  if(len < TCP_HLEN)
    return WIRE_ESHORT;
  // The pseudo-header carries the length in 16 bits; IP cannot deliver more.
  if(len > 0xffff)
    return WIRE_ELEN;
  // RFC 9293 3.1: Data Offset counts 32-bit words, at least 5.
  hlen = (p[TCP_OFF] >> 4) * 4;
  if(hlen < TCP_HLEN || hlen > len)
    return WIRE_EHLEN;
  // RFC 9293 3.1 (MUST-2, MUST-3): verify the checksum on every segment.
  if(cksum_fold(cksum_add(cksum_pseudo(src, dst, IP_PROTO_TCP, len), p, len)) != 0)
    return WIRE_ECKSUM;
  r->sport = get16(p + TCP_SPORT);
  r->dport = get16(p + TCP_DPORT);
  r->seq = get32(p + TCP_SEQ);
  r->ack = get32(p + TCP_ACK_OFF);
  r->flags = p[TCP_FLAGS];
  r->win = get16(p + TCP_WIN);
  r->urg = get16(p + TCP_URP);
  r->hlen = hlen;
  r->mss = 0;
  r->wscale = -1;
  r->sackok = 0;
  r->tsok = 0;
  r->tsval = r->tsecr = 0;
  r->nsack = 0;
  if(tcp_options(p + TCP_HLEN, hlen - TCP_HLEN, r) < 0)
    return WIRE_EFORMAT;
  return hlen;
}

int
tcp_hdrlen(const struct tcp_repr *r)
{
  int n = TCP_HLEN;

  if(r->mss)
    n += 4;
  if(r->wscale >= 0)
    n += 4;
  if(r->sackok && !r->tsok)
    n += 4;
  if(r->tsok)
    n += 12;     // with SACK-permitted in place of its two NOPs
  if(r->nsack)
    n += 4 + 8 * r->nsack;
  return n;
}

// Lay the options out as Linux and BSD do, padded with NOPs so each
// multi-byte value stays aligned: MSS, NOP WS, NOP NOP SACKOK.
static void
tcp_putoptions(uint8_t *o, const struct tcp_repr *r)
{
  if(r->mss){
    o[0] = OPT_MSS;
    o[1] = OPT_MSS_LEN;
    put16(o + 2, r->mss);
    o += 4;
  }
  if(r->wscale >= 0){
    o[0] = OPT_NOP;
    o[1] = OPT_WS;
    o[2] = OPT_WS_LEN;
    o[3] = r->wscale;
    o += 4;
  }
  if(r->tsok){
    // Linux's SYN layout: SACK-permitted takes the NOPs' place.
    if(r->sackok){
      o[0] = OPT_SACKOK;
      o[1] = OPT_SACKOK_LEN;
    } else {
      o[0] = OPT_NOP;
      o[1] = OPT_NOP;
    }
    o[2] = OPT_TS;
    o[3] = OPT_TS_LEN;
    put32(o + 4, r->tsval);
    put32(o + 8, r->tsecr);
    o += 12;
  } else if(r->sackok){
    o[0] = OPT_NOP;
    o[1] = OPT_NOP;
    o[2] = OPT_SACKOK;
    o[3] = OPT_SACKOK_LEN;
    o += 4;
  }
  if(r->nsack){
    o[0] = OPT_NOP;
    o[1] = OPT_NOP;
    o[2] = OPT_SACK;
    o[3] = 2 + 8 * r->nsack;
    for(int k = 0; k < r->nsack; k++){
      put32(o + 4 + 8 * k, r->sack[k][0]);
      put32(o + 8 + 8 * k, r->sack[k][1]);
    }
  }
}

// Writes header and options for the datalen bytes already at
// p + tcp_hdrlen(r), and their checksum. r->hlen is ignored.
// Returns tcp_hdrlen(r), WIRE_ESHORT if they do not fit in len,
// or WIRE_ELEN if the segment would exceed 65535 bytes.
int
tcp_emit(uint8_t *p, size_t len, uint32_t src, uint32_t dst, const struct tcp_repr *r, size_t datalen)
{
  size_t hlen = tcp_hdrlen(r);

  if(len < hlen || datalen > len - hlen)
    return WIRE_ESHORT;
  return tcp_emit_sum(p, len, src, dst, r, datalen, cksum_add(0, p + hlen, datalen));
}

// As tcp_emit, but the datalen bytes of data are elsewhere (the device
// reads them from a cache) and datasum is their partial sum
// (cksum_add(0, data, datalen)): only the header is written and summed.
int
tcp_emit_sum(uint8_t *p, size_t len, uint32_t src, uint32_t dst, const struct tcp_repr *r,
             size_t datalen, uint32_t datasum)
{
  size_t hlen = tcp_hdrlen(r);
  uint32_t sum;

  if(len < hlen)
    return WIRE_ESHORT;
  if(hlen > TCP_MAXHLEN || datalen > 0xffff - hlen)
    return WIRE_ELEN;
  put16(p + TCP_SPORT, r->sport);
  put16(p + TCP_DPORT, r->dport);
  put32(p + TCP_SEQ, r->seq);
  put32(p + TCP_ACK_OFF, r->ack);
  p[TCP_OFF] = hlen / 4 << 4;
  p[TCP_FLAGS] = r->flags;
  put16(p + TCP_WIN, r->win);
  put16(p + TCP_SUM, 0);
  put16(p + TCP_URP, r->urg);
  tcp_putoptions(p + TCP_HLEN, r);
  // the header's length is a multiple of 4, so the data's words line up
  sum = cksum_add(cksum_pseudo(src, dst, IP_PROTO_TCP, hlen + datalen), p, hlen);
  sum += datasum;
  sum += sum < datasum;       // end-around carry
  put16(p + TCP_SUM, cksum_fold(sum));
  return hlen;
}
