// Fuzz dns_answer_parse and dns_name_parse. The input is a message as a
// server would send it. Its own id and question are taken as what we
// asked, so the fuzzer gets past those checks to the answer section;
// the name at every offset is parsed too. What a parse promises is
// checked: names within DNS_MAXNAME, no more than DNS_MAXADDR addresses,
// no more than DNS_MAXCNAME links, a chain kept whole or not at all.
#include "libnet/fuzz/fuzz.h"
#include "libnet/dns.h"

static void
names(const uint8_t *p, size_t len)
{
  char out[DNS_MAXNAME + 1];
  int n;

  for(size_t off = 0; off < len; off++){
    n = dns_name_parse(p, len, off, out);
    FUZZ_CHECK(n == WIRE_ESHORT || n == WIRE_EFORMAT || ((size_t)n > off && (size_t)n <= len));
    if(n >= 0)
      FUZZ_CHECK(strlen(out) <= DNS_MAXNAME);
  }
}

static void
answer(const uint8_t *p, size_t len, const char *qname, uint16_t qtype)
{
  struct dns_answer a;
  const char *last = 0;
  size_t used = 0;
  int n;

  n = dns_answer_parse(p, len, get16(p), qname, qtype, &a);
  FUZZ_CHECK(n == 0 || n == DNS_EQUESTION || FUZZ_ISERR(n));
  if(n != 0)
    return;
  FUZZ_CHECK(a.naddr >= 0 && a.naddr <= DNS_MAXADDR);
  FUZZ_CHECK(a.ncname >= 0 && a.ncname <= DNS_MAXCNAME);
  FUZZ_CHECK(a.nchain <= a.ncname && strlen(a.name) <= DNS_MAXNAME);
  FUZZ_CHECK(a.rcode >= 0 && a.rcode <= 15);
  for(int i = 0; i < a.nchain; i++){
    FUZZ_CHECK(used < DNS_MAXCHAIN);
    last = a.chain + used;
    used += strlen(last) + 1;
    FUZZ_CHECK(used <= DNS_MAXCHAIN);
  }
  // a chain kept whole ends at the name the addresses belong to
  if(a.nchain > 0 && a.nchain == a.ncname)
    FUZZ_CHECK(strcmp(last, a.name) == 0);
  if(a.tc)
    FUZZ_CHECK(a.naddr == 0 && a.ncname == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char qname[DNS_MAXNAME + 1], back[DNS_MAXNAME + 1];
  uint8_t *p = fuzz_dup(data, size);
  uint8_t q[DNS_HLEN + DNS_MAXNAME + 6];
  int n;

  names(p, size);
  if(size >= DNS_HLEN && (n = dns_name_parse(p, size, DNS_HLEN, qname)) >= 0 &&
     (size_t)n + 4 <= size){
    answer(p, size, qname, get16(p + n));
    // what parsed as a name is one a query can carry, and it reads back the same
    n = dns_query_emit(q, sizeof(q), 1, qname, DNS_T_A);
    FUZZ_CHECK(n > 0);
    FUZZ_CHECK(dns_name_parse(q, n, DNS_HLEN, back) == n - 4 && strcmp(back, qname) == 0);
  }
  free(p);
  return 0;
}
