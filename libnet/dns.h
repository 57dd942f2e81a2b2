// dns.h: DNS messages (RFC 1035 4), as the stub resolver (resolv.c)
// sends and reads them: one question, class IN, type A; the answer
// section read for addresses, following CNAMEs. wire/dns.c holds the
// code, pure like the rest of wire/: no sockets, files or allocation.
// Not done: EDNS(0), DNSSEC, AAAA, PTR, the authority and additional
// sections (a stub resolver asks for recursion and needs neither).
#ifndef LIBNET_DNS_H
#define LIBNET_DNS_H
#include "libnet/wire.h"

#define DNS_PORT     53
#define DNS_HLEN     12       // the header (RFC 1035 4.1.1)
#define DNS_MAXNAME  253      // a name in dotted form, no final dot (255 on the wire)
#define DNS_MAXLABEL 63
#define DNS_MAXUDP   512      // the largest UDP message without EDNS (RFC 1035 2.3.4)
#define DNS_MAXADDR  8        // addresses kept from one answer
#define DNS_MAXCNAME 8        // CNAME links followed before the chain counts as a loop
#define DNS_MAXCHAIN 512      // bytes of CNAME targets kept for printing

enum { DNS_T_A = 1, DNS_T_CNAME = 5, DNS_C_IN = 1 };

// RCODE values (RFC 1035 4.1.1); dns_rcodename() names them as host(1) does.
enum {
  DNS_NOERROR = 0, DNS_FORMERR = 1, DNS_SERVFAIL = 2, DNS_NXDOMAIN = 3,
  DNS_NOTIMP = 4, DNS_REFUSED = 5,
};

// A parse that found a well-formed message that is not the answer to our
// question: the resolver ignores it, counts it, and keeps waiting.
enum {
  DNS_EID = -10,          // another query's id
  DNS_EQUESTION = -11,    // not a response, or a question other than ours
};

// What an answer says about the question asked.
struct dns_answer {
  uint16_t id;
  int rcode;              // DNS_NOERROR...
  int tc;                 // truncated: ask again over TCP
  int aa;                 // authoritative
  int ncname;             // CNAME links followed
  char name[DNS_MAXNAME + 1];  // whose addresses these are: the question, or the chain's end
  // The chain's targets in order, each NUL-terminated, for printing;
  // nchain of them (fewer than ncname if they did not fit).
  char chain[DNS_MAXCHAIN];
  int nchain;
  int naddr;
  uint32_t addr[DNS_MAXADDR];  // host byte order, in the answer's order
};

// Write a recursive query for name (dotted, an optional final dot) of
// type qtype, class IN, into p. Returns its length, WIRE_ESHORT if len is
// too small, or WIRE_EFORMAT if name is no valid domain name (an empty
// label, a label over 63 bytes, over 253 bytes in all).
int dns_query_emit(uint8_t *p, size_t len, uint16_t id, const char *name, uint16_t qtype);

// Read the name at off in the message msg[0..len), following compression
// pointers (RFC 1035 4.1.4), into out (DNS_MAXNAME + 1 bytes) in dotted
// form without the final dot ("" for the root). Each pointer must point
// before the label that holds it, so no chain can loop. Returns the
// offset just past the name where it sits, or WIRE_ESHORT (runs past
// len), WIRE_EFORMAT (a bad pointer, a reserved label type, a '.' or NUL
// inside a label, over 255 bytes).
int dns_name_parse(const uint8_t *msg, size_t len, size_t off, char *out);

// Parse msg[0..len) as the answer to the query (id, name, qtype) and fill
// a. Returns 0 if it is that answer (a->rcode says how it went; with a->tc
// set only the header and question were read), DNS_EID or DNS_EQUESTION
// if it is a well-formed message answering something else, WIRE_E* if it
// is malformed, including a CNAME chain longer than DNS_MAXCNAME (a loop).
int dns_answer_parse(const uint8_t *msg, size_t len, uint16_t id, const char *name,
                     uint16_t qtype, struct dns_answer *a);

// "NXDOMAIN" and the like; "unknown" past REFUSED.
const char *dns_rcodename(int rcode);

// Names compare as DNS does: ASCII letters without case (RFC 4343), and
// a final dot ignored. 0 if they are the same name.
int dns_namecmp(const char *a, const char *b);
#endif
