// dns: DNS queries and answers (RFC 1035 4) over plain byte buffers.
// The stub resolver's half only: one question out, the answer section
// in, read for A records and CNAMEs. Like the rest of wire/ it needs
// only <stdint.h>: no libc, so the few string loops are written here.
#include "libnet/dns.h"

enum { DNS_ID = 0, DNS_FLAGS = 2, DNS_QDCOUNT = 4, DNS_ANCOUNT = 6 };
// Flag bits (RFC 1035 4.1.1).
enum { DNS_QR = 0x8000, DNS_AA = 0x0400, DNS_TC = 0x0200, DNS_RD = 0x0100 };
#define DNS_OPCODE(f) (((f) >> 11) & 0xf)
#define DNS_RCODE(f)  ((f) & 0xf)
enum { DNS_MAXWIRE = 255 };   // a name's bytes on the wire (RFC 1035 2.3.4)

static int
lower(int c)
{
  return c >= 'A' && c <= 'Z' ? c + 'a' - 'A' : c;
}

// A final dot only says the name is absolute: "a.test." is "a.test".
int
dns_namecmp(const char *a, const char *b)
{
  for(; *a && lower(*a) == lower(*b); a++, b++)
    ;
  if(a[0] == '.' && a[1] == 0)
    a++;
  if(b[0] == '.' && b[1] == 0)
    b++;
  return lower(*a) - lower(*b);
}

int
dns_query_emit(uint8_t *p, size_t len, uint16_t id, const char *name, uint16_t qtype)
{
  size_t off = DNS_HLEN, lab;
  int n;

  if(name[0] == '.' && name[1] == 0)
    name++;                  // the root
  if(len < DNS_HLEN)
    return WIRE_ESHORT;
  put16(p + DNS_ID, id);
  put16(p + DNS_FLAGS, DNS_RD);   // RFC 1123 6.1.3.1: a stub asks for recursion
  put16(p + DNS_QDCOUNT, 1);
  put16(p + DNS_ANCOUNT, 0);
  put32(p + 8, 0);                // NSCOUNT, ARCOUNT
  while(*name){
    lab = off;
    for(n = 0; name[n] && name[n] != '.'; n++)
      if(off + 1 + n < len)
        p[off + 1 + n] = name[n];
    if(n == 0 || n > DNS_MAXLABEL)
      return WIRE_EFORMAT;
    if(off + 1 + n > len)
      return WIRE_ESHORT;
    p[lab] = n;
    off += 1 + n;
    name += n;
    if(*name == '.')
      name++;
    if(off - DNS_HLEN > DNS_MAXWIRE - 1)
      return WIRE_EFORMAT;
  }
  if(off + 5 > len)
    return WIRE_ESHORT;
  p[off] = 0;
  put16(p + off + 1, qtype);
  put16(p + off + 3, DNS_C_IN);
  return off + 5;
}

// Returns the offset past the name at off, or WIRE_E*; see dns.h.
// Why the walk ends: a pointer must point before itself, so jumps with
// no label between them go strictly backwards, and every label read
// counts towards the name's 255 bytes, across jumps too. A loop through
// a label ("a" then a pointer back to it) so fails as too long.
int
dns_name_parse(const uint8_t *msg, size_t len, size_t off, char *out)
{
  size_t end = 0, o = 0, wire = 1;
  int jumped = 0, n, c;

  for(;;){
    if(off >= len)
      return WIRE_ESHORT;
    n = msg[off];
    if((n & 0xc0) == 0xc0){
      if(off + 2 > len)
        return WIRE_ESHORT;
      if(!jumped)
        end = off + 2;
      jumped = 1;
      if((size_t)(get16(msg + off) & 0x3fff) >= off)
        return WIRE_EFORMAT;
      off = get16(msg + off) & 0x3fff;
      continue;
    }
    if(n & 0xc0)
      return WIRE_EFORMAT;   // 01 and 10: reserved (RFC 6891 retired 01)
    if(n == 0)
      break;
    if(off + 1 + n > len)
      return WIRE_ESHORT;
    if((wire += 1 + n) > DNS_MAXWIRE)
      return WIRE_EFORMAT;
    if(o > 0)
      out[o++] = '.';
    for(int i = 1; i <= n; i++){
      // dotted form cannot carry these, and the callers compare names as C strings
      if((c = msg[off + i]) == '.' || c == 0)
        return WIRE_EFORMAT;
      out[o++] = c;
    }
    off += 1 + n;
  }
  out[o] = 0;
  return jumped ? end : off + 1;
}

// The fixed part of a resource record after its name (RFC 1035 4.1.3).
struct rr {
  uint16_t type, class;
  size_t rdata, rdlen;       // offset and length of the RDATA
};

// Read the record at off: its owner into owner, the rest into r.
// Returns the offset of the next record, or WIRE_E*.
static int
rr_parse(const uint8_t *msg, size_t len, size_t off, char *owner, struct rr *r)
{
  int n;

  if((n = dns_name_parse(msg, len, off, owner)) < 0)
    return n;
  off = n;
  if(off + 10 > len)
    return WIRE_ESHORT;
  r->type = get16(msg + off);
  r->class = get16(msg + off + 2);
  r->rdlen = get16(msg + off + 8);   // the TTL, at +4, is not kept
  r->rdata = off + 10;
  if(r->rdata + r->rdlen > len)
    return WIRE_ESHORT;
  return r->rdata + r->rdlen;
}

// Keep a chain's target (n bytes) for printing, if it and all before
// it fit.
static void
keep(struct dns_answer *a, const char *target, int n)
{
  int used = 0;

  if(a->nchain != a->ncname)
    return;
  for(int i = 0; i < a->nchain; i++)
    while(a->chain[used++] != 0)
      ;
  if(used + n + 1 > DNS_MAXCHAIN)
    return;
  for(int i = 0; i <= n; i++)
    a->chain[used + i] = target[i];
  a->nchain++;
}

// One pass over the answer section's ancount records from off, for
// a->name: if a CNAME for it is there, a->name becomes its target and
// 1 is returned; otherwise its A records are collected and 0 returned.
// WIRE_E* if a record is malformed.
static int
answers(const uint8_t *msg, size_t len, size_t off, int ancount, uint16_t qtype,
        struct dns_answer *a)
{
  char owner[DNS_MAXNAME + 1], target[DNS_MAXNAME + 1];
  struct rr r;
  int n, i, j;

  a->naddr = 0;
  for(i = 0; i < ancount; i++){
    if((n = rr_parse(msg, len, off, owner, &r)) < 0)
      return n;
    off = n;
    if(r.class != DNS_C_IN || dns_namecmp(owner, a->name) != 0)
      continue;
    if(r.type == DNS_T_CNAME && qtype != DNS_T_CNAME){
      // the target may itself be compressed, pointing anywhere before it
      if((n = dns_name_parse(msg, r.rdata + r.rdlen, r.rdata, target)) < 0)
        return n;
      if((size_t)n != r.rdata + r.rdlen)
        return WIRE_ELEN;
      for(j = 0; (a->name[j] = target[j]) != 0; j++)
        ;
      keep(a, target, j);
      return 1;
    }
    if(r.type == DNS_T_A && qtype == DNS_T_A){
      if(r.rdlen != 4)
        return WIRE_ELEN;
      if(a->naddr < DNS_MAXADDR)
        a->addr[a->naddr++] = get32(msg + r.rdata);
    }
  }
  return 0;
}

int
dns_answer_parse(const uint8_t *msg, size_t len, uint16_t id, const char *name,
                 uint16_t qtype, struct dns_answer *a)
{
  char qname[DNS_MAXNAME + 1];
  uint16_t flags;
  size_t off;
  int n, i;

  if(len < DNS_HLEN)
    return WIRE_ESHORT;
  a->id = get16(msg + DNS_ID);
  flags = get16(msg + DNS_FLAGS);
  if(a->id != id)
    return DNS_EID;
  if(!(flags & DNS_QR) || DNS_OPCODE(flags) != 0 || get16(msg + DNS_QDCOUNT) != 1)
    return DNS_EQUESTION;
  if((n = dns_name_parse(msg, len, DNS_HLEN, qname)) < 0)
    return n;
  off = n;
  if(off + 4 > len)
    return WIRE_ESHORT;
  // RFC 5452 9.1: accept only the answer to the question we asked
  if(dns_namecmp(qname, name) != 0)
    return DNS_EQUESTION;
  if(get16(msg + off) != qtype || get16(msg + off + 2) != DNS_C_IN)
    return DNS_EQUESTION;
  off += 4;
  a->rcode = DNS_RCODE(flags);
  a->tc = (flags & DNS_TC) != 0;
  a->aa = (flags & DNS_AA) != 0;
  a->ncname = 0;
  a->nchain = 0;
  a->naddr = 0;
  for(i = 0; (a->name[i] = qname[i]) != 0; i++)
    ;
  if(a->tc)
    return 0;
  // A chain's links may come in any order: each link found starts the
  // walk over the section again, for the new name.
  while((n = answers(msg, len, off, get16(msg + DNS_ANCOUNT), qtype, a)) == 1)
    if(++a->ncname > DNS_MAXCNAME)
      return WIRE_EFORMAT;
  return n;
}

const char *
dns_rcodename(int rcode)
{
  static const char *names[] = {
    [DNS_NOERROR] = "NOERROR", [DNS_FORMERR] = "FORMERR", [DNS_SERVFAIL] = "SERVFAIL",
    [DNS_NXDOMAIN] = "NXDOMAIN", [DNS_NOTIMP] = "NOTIMP", [DNS_REFUSED] = "REFUSED",
  };

  if(rcode >= 0 && rcode < (int)(sizeof(names) / sizeof(names[0])))
    return names[rcode];
  return "unknown";
}
