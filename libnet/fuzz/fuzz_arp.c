// Fuzz arp_parse. All 28 bytes are either checked or kept in the repr,
// so a parsed packet must emit back to exactly its own bytes.
#include "libnet/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct arp_repr r, r2;
  uint8_t b[ARP_LEN];
  int n;

  n = arp_parse(data, size, &r);
  if(n < 0){
    FUZZ_CHECK(n == WIRE_ESHORT || n == WIRE_EFORMAT);
    FUZZ_CHECK((n == WIRE_ESHORT) == (size < ARP_LEN));
    return 0;
  }
  FUZZ_CHECK(n == ARP_LEN && size >= ARP_LEN);
  FUZZ_CHECK(r.op == ARP_REQUEST || r.op == ARP_REPLY);
  FUZZ_CHECK(arp_emit(b, sizeof b, &r) == ARP_LEN);
  FUZZ_CHECK(memcmp(b, data, ARP_LEN) == 0);
  FUZZ_CHECK(arp_parse(b, sizeof b, &r2) == ARP_LEN);
  // Field by field: memcmp would compare the struct's padding too.
  FUZZ_CHECK(r2.op == r.op && r2.spa == r.spa && r2.tpa == r.tpa);
  FUZZ_CHECK(memcmp(r2.sha, r.sha, 6) == 0 && memcmp(r2.tha, r.tha, 6) == 0);
  return 0;
}
