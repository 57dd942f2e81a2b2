// Host tests for wire/dns.c: the query built byte for byte, names with
// compression pointers and the loops a hostile answer can try, every
// truncation of an answer, CNAME chains in any order.
#include "libnet/test/test.h"
#include "libnet/dns.h"

// The query for www.example.test, id 0x1234, type A, class IN, RD set.
static const uint8_t query_www[] = {
  0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0,
  0x00, 0x01, 0x00, 0x01,
};

// Its answer, as a recursive server sends it: two A records whose owner
// points back at the question (offset 12), then an unrelated record.
static const uint8_t answer_www[] = {
  0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
  3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0,
  0x00, 0x01, 0x00, 0x01,
  0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 10, 0, 2, 101,
  0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 10, 0, 2, 102,
  // example.test (a pointer to offset 16), type A: not our name, skipped
  0xc0, 0x10, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04, 10, 0, 2, 99,
};

// www.chain.test -> mid.chain.test -> end.chain.test A 10.0.2.105, the
// records in reverse order: A first, then mid -> end, then www -> mid,
// each target a pointer to a name earlier in the message.
static const uint8_t answer_chain[] = {
  0xab, 0xcd, 0x81, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
  3, 'w', 'w', 'w', 5, 'c', 'h', 'a', 'i', 'n', 4, 't', 'e', 's', 't', 0,   // 12
  0x00, 0x01, 0x00, 0x01,
  3, 'e', 'n', 'd', 0xc0, 16,                                             // 32: end.chain.test
  0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 10, 0, 2, 105,
  3, 'm', 'i', 'd', 0xc0, 16,                                             // 52: mid.chain.test
  0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x02, 0xc0, 32,
  0xc0, 12,                                                               // www -> mid
  0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x02, 0xc0, 52,
};

static uint8_t msg[600];

static void
test_query_bytes(void)
{
  uint8_t b[64];

  CHECKEQ(dns_query_emit(b, sizeof(b), 0x1234, "www.example.test", DNS_T_A), sizeof(query_www));
  CHECKMEM(b, query_www, sizeof(query_www));
  // a final dot says the same name
  CHECKEQ(dns_query_emit(b, sizeof(b), 0x1234, "www.example.test.", DNS_T_A), sizeof(query_www));
  CHECKMEM(b, query_www, sizeof(query_www));
}

static void
test_query_short_buffer(void)
{
  uint8_t b[64];

  for(size_t n = 0; n < sizeof(query_www); n++)
    CHECKEQ(dns_query_emit(b, n, 1, "www.example.test", DNS_T_A), WIRE_ESHORT);
}

static void
test_query_bad_names(void)
{
  char name[300];
  uint8_t b[600];

  CHECKEQ(dns_query_emit(b, sizeof(b), 1, "a..test", DNS_T_A), WIRE_EFORMAT);
  CHECKEQ(dns_query_emit(b, sizeof(b), 1, ".a", DNS_T_A), WIRE_EFORMAT);
  memset(name, 'x', 64);
  name[64] = 0;
  CHECKEQ(dns_query_emit(b, sizeof(b), 1, name, DNS_T_A), WIRE_EFORMAT);   // label of 64
  name[63] = 0;
  CHECKEQ(dns_query_emit(b, sizeof(b), 1, name, DNS_T_A), DNS_HLEN + 1 + 63 + 1 + 4);
  // 127 labels "a." make 253 bytes, the most a name may have
  for(int i = 0; i < 127; i++){
    name[2 * i] = 'a';
    name[2 * i + 1] = '.';
  }
  name[253] = 0;
  CHECKEQ(dns_query_emit(b, sizeof(b), 1, name, DNS_T_A), DNS_HLEN + 255 + 4);
  name[253] = 'a';
  name[254] = 0;
  CHECKEQ(dns_query_emit(b, sizeof(b), 1, name, DNS_T_A), WIRE_EFORMAT);
}

static void
test_name_pointer(void)
{
  char out[DNS_MAXNAME + 1];

  // the owner of the first answer: a pointer, so the name ends 2 bytes on
  CHECKEQ(dns_name_parse(answer_www, sizeof(answer_www), 34, out), 36);
  CHECK(strcmp(out, "www.example.test") == 0);
  CHECKEQ(dns_name_parse(answer_www, sizeof(answer_www), 66, out), 68);
  CHECK(strcmp(out, "example.test") == 0);
  // labels, then a pointer
  CHECKEQ(dns_name_parse(answer_chain, sizeof(answer_chain), 32, out), 38);
  CHECK(strcmp(out, "end.chain.test") == 0);
  CHECKEQ(dns_name_parse(answer_chain, sizeof(answer_chain), 12, out), 28);
  CHECK(strcmp(out, "www.chain.test") == 0);
}

static void
test_name_loops(void)
{
  char out[DNS_MAXNAME + 1];
  uint8_t m[40] = { 0 };

  // a pointer to itself
  m[12] = 0xc0; m[13] = 12;
  CHECKEQ(dns_name_parse(m, sizeof(m), 12, out), WIRE_EFORMAT);
  // a pointer forward, to a pointer back to it
  m[12] = 0xc0; m[13] = 14; m[14] = 0xc0; m[15] = 12;
  CHECKEQ(dns_name_parse(m, sizeof(m), 12, out), WIRE_EFORMAT);
  // a label, then a pointer back to the label: too long, not forever
  m[12] = 1; m[13] = 'a'; m[14] = 0xc0; m[15] = 12;
  CHECKEQ(dns_name_parse(m, sizeof(m), 12, out), WIRE_EFORMAT);
  // the reserved label types 01 and 10
  m[12] = 0x40;
  CHECKEQ(dns_name_parse(m, sizeof(m), 12, out), WIRE_EFORMAT);
  m[12] = 0x80;
  CHECKEQ(dns_name_parse(m, sizeof(m), 12, out), WIRE_EFORMAT);
  // a label holding a dot cannot be written dotted
  m[12] = 3; m[13] = 'a'; m[14] = '.'; m[15] = 'b'; m[16] = 0;
  CHECKEQ(dns_name_parse(m, sizeof(m), 12, out), WIRE_EFORMAT);
  // a pointer cut in half, a label running off the end
  m[12] = 0xc0;
  CHECKEQ(dns_name_parse(m, 13, 12, out), WIRE_ESHORT);
  m[12] = 5;
  CHECKEQ(dns_name_parse(m, 15, 12, out), WIRE_ESHORT);
  // the root
  m[12] = 0;
  CHECKEQ(dns_name_parse(m, sizeof(m), 12, out), 13);
  CHECK(out[0] == 0);
}

static void
test_answer_a(void)
{
  struct dns_answer a;

  CHECKEQ(dns_answer_parse(answer_www, sizeof(answer_www), 0x1234, "www.example.test",
                           DNS_T_A, &a), 0);
  CHECKEQ(a.rcode, DNS_NOERROR);
  CHECKEQ(a.tc, 0);
  CHECKEQ(a.ncname, 0);
  CHECKEQ(a.naddr, 2);
  CHECKEQ(a.addr[0], 0x0a000265);
  CHECKEQ(a.addr[1], 0x0a000266);
  CHECK(strcmp(a.name, "www.example.test") == 0);
  // names match without case, and with a final dot
  CHECKEQ(dns_answer_parse(answer_www, sizeof(answer_www), 0x1234, "WWW.Example.TEST.",
                           DNS_T_A, &a), 0);
  CHECKEQ(a.naddr, 2);
}

static void
test_answer_not_ours(void)
{
  struct dns_answer a;

  CHECKEQ(dns_answer_parse(answer_www, sizeof(answer_www), 0x1235, "www.example.test",
                           DNS_T_A, &a), DNS_EID);
  CHECKEQ(dns_answer_parse(answer_www, sizeof(answer_www), 0x1234, "ww.example.test",
                           DNS_T_A, &a), DNS_EQUESTION);
  CHECKEQ(dns_answer_parse(answer_www, sizeof(answer_www), 0x1234, "www.example.test",
                           DNS_T_CNAME, &a), DNS_EQUESTION);
  // our own query, reflected back: not a response
  CHECKEQ(dns_answer_parse(query_www, sizeof(query_www), 0x1234, "www.example.test",
                           DNS_T_A, &a), DNS_EQUESTION);
}

// No prefix of an answer is an answer: every one is malformed or short.
static void
test_answer_truncated(void)
{
  struct dns_answer a;

  for(size_t n = 0; n < sizeof(answer_www); n++)
    CHECK(dns_answer_parse(answer_www, n, 0x1234, "www.example.test", DNS_T_A, &a) < 0);
  for(size_t n = 0; n < sizeof(answer_chain); n++)
    CHECK(dns_answer_parse(answer_chain, n, 0xabcd, "www.chain.test", DNS_T_A, &a) < 0);
}

static void
test_answer_rcode_and_tc(void)
{
  struct dns_answer a;

  memcpy(msg, query_www, sizeof(query_www));
  put16(msg + 2, 0x8183);          // NXDOMAIN, no records
  CHECKEQ(dns_answer_parse(msg, sizeof(query_www), 0x1234, "www.example.test", DNS_T_A, &a), 0);
  CHECKEQ(a.rcode, DNS_NXDOMAIN);
  CHECKEQ(a.naddr, 0);
  CHECK(strcmp(dns_rcodename(a.rcode), "NXDOMAIN") == 0);
  put16(msg + 2, 0x8380);          // TC: the records (none here) are not to be read
  put16(msg + 6, 5);
  CHECKEQ(dns_answer_parse(msg, sizeof(query_www), 0x1234, "www.example.test", DNS_T_A, &a), 0);
  CHECKEQ(a.tc, 1);
  CHECKEQ(a.naddr, 0);
}

static void
test_answer_bad_rdlength(void)
{
  struct dns_answer a;

  memcpy(msg, answer_www, sizeof(answer_www));
  put16(msg + 44, 3);              // the first A record's RDLENGTH
  CHECKEQ(dns_answer_parse(msg, sizeof(answer_www), 0x1234, "www.example.test", DNS_T_A, &a),
          WIRE_ELEN);
  put16(msg + 44, 400);            // past the end
  CHECKEQ(dns_answer_parse(msg, sizeof(answer_www), 0x1234, "www.example.test", DNS_T_A, &a),
          WIRE_ESHORT);
}

static void
test_answer_many_addresses(void)
{
  struct dns_answer a;
  size_t n = 34;
  int i;

  memcpy(msg, answer_www, n);
  put16(msg + 6, 20);
  for(i = 0; i < 20; i++){
    memcpy(msg + n, answer_www + 34, 16);
    msg[n + 15] = i;
    n += 16;
  }
  CHECKEQ(dns_answer_parse(msg, n, 0x1234, "www.example.test", DNS_T_A, &a), 0);
  CHECKEQ(a.naddr, DNS_MAXADDR);
  CHECKEQ(a.addr[DNS_MAXADDR - 1], 0x0a000200 + DNS_MAXADDR - 1);
}

static void
test_cname_chain(void)
{
  struct dns_answer a;
  const char *p;

  CHECKEQ(dns_answer_parse(answer_chain, sizeof(answer_chain), 0xabcd, "www.chain.test",
                           DNS_T_A, &a), 0);
  CHECKEQ(a.ncname, 2);
  CHECKEQ(a.nchain, 2);
  CHECK(strcmp(a.name, "end.chain.test") == 0);
  p = a.chain;
  CHECK(strcmp(p, "mid.chain.test") == 0);
  p += strlen(p) + 1;
  CHECK(strcmp(p, "end.chain.test") == 0);
  CHECKEQ(a.naddr, 1);
  CHECKEQ(a.addr[0], 0x0a000269);
}

// A CNAME to itself, and a->b, b->a: a loop, so no answer.
static void
test_cname_loop(void)
{
  struct dns_answer a;

  memcpy(msg, answer_chain, sizeof(answer_chain));
  msg[sizeof(answer_chain) - 1] = 12;           // www -> www
  CHECKEQ(dns_answer_parse(msg, sizeof(answer_chain), 0xabcd, "www.chain.test", DNS_T_A, &a),
          WIRE_EFORMAT);
  memcpy(msg, answer_chain, sizeof(answer_chain));
  msg[69] = 12;                                  // mid -> www, www -> mid
  CHECKEQ(dns_answer_parse(msg, sizeof(answer_chain), 0xabcd, "www.chain.test", DNS_T_A, &a),
          WIRE_EFORMAT);
}

// A CNAME's target must fill its RDATA exactly.
static void
test_cname_rdata_length(void)
{
  struct dns_answer a;

  memcpy(msg, answer_chain, sizeof(answer_chain));
  put16(msg + sizeof(answer_chain) - 4, 1);      // www -> mid's RDLENGTH: half a pointer
  CHECK(dns_answer_parse(msg, sizeof(answer_chain) - 1, 0xabcd, "www.chain.test",
                         DNS_T_A, &a) < 0);
}

static void
test_namecmp(void)
{
  CHECK(dns_namecmp("a.test", "A.TEST.") == 0);
  CHECK(dns_namecmp("a.test.", "a.test") == 0);
  CHECK(dns_namecmp("a.test", "a.tes") != 0);
  CHECK(dns_namecmp("a.test", "a.test..") != 0);
  CHECK(dns_namecmp("", ".") == 0);
}

static const struct test tests[] = {
  { test_query_bytes, "query_bytes" },
  { test_query_short_buffer, "query_short_buffer" },
  { test_query_bad_names, "query_bad_names" },
  { test_name_pointer, "name_pointer" },
  { test_name_loops, "name_loops" },
  { test_answer_a, "answer_a" },
  { test_answer_not_ours, "answer_not_ours" },
  { test_answer_truncated, "answer_truncated" },
  { test_answer_rcode_and_tc, "answer_rcode_and_tc" },
  { test_answer_bad_rdlength, "answer_bad_rdlength" },
  { test_answer_many_addresses, "answer_many_addresses" },
  { test_cname_chain, "cname_chain" },
  { test_cname_loop, "cname_loop" },
  { test_cname_rdata_length, "cname_rdata_length" },
  { test_namecmp, "namecmp" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
