// ipv4: the IPv4 header (RFC 791). Options are checksummed, checked
// against RFC 791's option format and skipped, never interpreted or emitted; fragments parse like any packet and are
// left to ipv4.c above to refuse. Also the dotted-quad helpers.
#include "libnet/wire.h"

enum {
  IPV4_VIHL = 0, IPV4_TOS = 1, IPV4_LEN = 2, IPV4_ID = 4, IPV4_FRAG = 6,
  IPV4_TTL = 8, IPV4_PROTO = 9, IPV4_SUM = 10, IPV4_SRC = 12, IPV4_DST = 16,
};

// The fields both parsers fill, once the lengths are checked.
static void
getfields(const uint8_t *p, size_t hlen, struct ipv4_repr *r)
{
  r->tos = p[IPV4_TOS];
  r->totlen = get16(p + IPV4_LEN);
  r->id = get16(p + IPV4_ID);
  r->frag = get16(p + IPV4_FRAG);
  r->ttl = p[IPV4_TTL];
  r->proto = p[IPV4_PROTO];
  r->src = get32(p + IPV4_SRC);
  r->dst = get32(p + IPV4_DST);
  r->hlen = hlen;
}

// Returns the header length, which is where the payload starts, or
// WIRE_E*. len may exceed totlen: Ethernet pads short frames to 60 bytes.
// WIRE_EFORMAT means the fixed header is sound and r is filled, but an
// option is malformed (ipv4_optcheck says where), so that the caller
// can answer with a parameter problem.
int
ipv4_parse(const uint8_t *p, size_t len, struct ipv4_repr *r)
{
  size_t hlen, totlen;

  if(len < IPV4_HLEN)
    return WIRE_ESHORT;
  if(p[IPV4_VIHL] >> 4 != 4)
    return WIRE_EVERSION;
  // RFC 791 3.1: IHL counts 32-bit words, and "the minimum value for a
  // correct header is 5".
  hlen = (p[IPV4_VIHL] & 0xf) * 4;
  if(hlen < IPV4_HLEN || hlen > len)
    return WIRE_EHLEN;
  totlen = get16(p + IPV4_LEN);
  if(totlen < hlen || totlen > len)
    return WIRE_ELEN;
  // RFC 1122 3.2.1.2: a datagram whose header checksum fails MUST be
  // silently discarded. Summing a correct header, checksum included, gives 0.
  if(cksum_fold(cksum_add(0, p, hlen)) != 0)
    return WIRE_ECKSUM;
  getfields(p, hlen, r);
  if(ipv4_optcheck(p, hlen) != 0)
    return WIRE_EFORMAT;
  return hlen;
}

// The IP header an ICMP error quotes (RFC 792: "Internet Header + 64
// bits of Data Datagram"), at p, len bytes of quote. Unlike
// ipv4_parse, it accepts:
// - a quote cut short of the quoted totlen: RFC 792 promises only 8
//   bytes past the header, RFC 1812 4.3.2.3 lets a router send more, up
//   to 576 bytes of error, so totlen may exceed len;
// - a wrong header checksum: RFC 1812 4.3.2.3 does not require a router
//   to undo what forwarding changed before the error was found (the TTL
//   decremented, options updated), so the quoted sum may not match, and
//   a NAT rewrites quoted addresses too. The ICMP checksum already
//   covers the quote in transit, so nothing is lost by not checking it;
// - options it does not check, for the same reason: it skips them.
// It still wants the 8 bytes RFC 1122 3.2.2 says an error MUST quote
// ("at least the first 8 data octets"), or all of a datagram shorter
// than that, since the transport's ports or echo id live there.
// Returns the header length, or WIRE_ESHORT (the quote is too short),
// WIRE_EVERSION, WIRE_EHLEN (IHL under 5), WIRE_ELEN (totlen under
// the header). r->totlen is the quoted field, not what was quoted.
int
ipv4_parse_quoted(const uint8_t *p, size_t len, struct ipv4_repr *r)
{
  size_t hlen, totlen, need;

  if(len < IPV4_HLEN)
    return WIRE_ESHORT;
  if(p[IPV4_VIHL] >> 4 != 4)
    return WIRE_EVERSION;
  hlen = (p[IPV4_VIHL] & 0xf) * 4;
  if(hlen < IPV4_HLEN)
    return WIRE_EHLEN;
  totlen = get16(p + IPV4_LEN);
  if(totlen < hlen)
    return WIRE_ELEN;
  need = totlen - hlen < 8 ? totlen - hlen : 8;
  if(len < hlen + need)
    return WIRE_ESHORT;
  getfields(p, hlen, r);
  return hlen;
}

// RFC 791 3.1's option format: end of option list (type 0) ends the
// options, the rest being padding; no operation (type 1) is one octet;
// every other option has a length octet that counts the type, itself
// and the data, so at least 2, and ends inside the header.
// Returns 0 if the options of the header at p (hlen bytes) hold to it,
// else the offset in the header of the octet that breaks it: the length
// octet, or the type octet when the header ends before its length.
int
ipv4_optcheck(const uint8_t *p, size_t hlen)
{
  size_t i = IPV4_HLEN, olen;

  while(i < hlen){
    if(p[i] == 0)
      return 0;
    if(p[i] == 1){
      i++;
      continue;
    }
    if(i + 1 >= hlen)
      return i;
    olen = p[i + 1];
    if(olen < 2 || i + olen > hlen)
      return i + 1;
    i += olen;
  }
  return 0;
}

// Writes a 20-byte header without options, whatever r->hlen says, and
// its checksum. r->totlen must count these 20 bytes and the payload.
int
ipv4_emit(uint8_t *p, size_t len, const struct ipv4_repr *r)
{
  if(len < IPV4_HLEN)
    return WIRE_ESHORT;
  p[IPV4_VIHL] = 4 << 4 | IPV4_HLEN / 4;
  p[IPV4_TOS] = r->tos;
  put16(p + IPV4_LEN, r->totlen);
  put16(p + IPV4_ID, r->id);
  put16(p + IPV4_FRAG, r->frag);
  p[IPV4_TTL] = r->ttl;
  p[IPV4_PROTO] = r->proto;
  put16(p + IPV4_SUM, 0);
  put32(p + IPV4_SRC, r->src);
  put32(p + IPV4_DST, r->dst);
  put16(p + IPV4_SUM, cksum_fold(cksum_add(0, p, IPV4_HLEN)));
  return IPV4_HLEN;
}

// Writes "a.b.c.d" and its NUL into buf, which holds at least 16 bytes.
char *
ip_ntoa(uint32_t ip, char *buf)
{
  char *q = buf;
  int i, b;

  for(i = 24; i >= 0; i -= 8){
    b = (ip >> i) & 0xff;
    if(b >= 100)
      *q++ = '0' + b / 100;
    if(b >= 10)
      *q++ = '0' + b / 10 % 10;
    *q++ = '0' + b % 10;
    if(i > 0)
      *q++ = '.';
  }
  *q = 0;
  return buf;
}

// Accepts exactly four dot-separated decimal numbers, each 0..255 and
// at most three digits; nothing before, between or after them. Unlike
// inet_aton, "010" is ten, not octal, and "10.1" is refused.
int
ip_aton(const char *s, uint32_t *ip)
{
  uint32_t a = 0;
  int i, n, v;

  for(i = 0; i < 4; i++){
    if(i > 0 && *s++ != '.')
      return 0;
    v = 0;
    for(n = 0; *s >= '0' && *s <= '9'; n++, s++){
      if(n == 3)
        return 0;
      v = v * 10 + (*s - '0');
    }
    if(n == 0 || v > 255)
      return 0;
    a = a << 8 | v;
  }
  if(*s != 0)
    return 0;
  *ip = a;
  return 1;
}
