// netdb.h: names to addresses, with the BSD and POSIX names, so ordinary
// code compiles by including this header instead of <netdb.h>. IPv4 only.
// A name is looked up as a dotted address, then in /etc/hosts
// ("localhost" is 127.0.0.1 even without it), then by asking the
// servers in /etc/resolv.conf over UDP, and TCP when an answer comes
// truncated (resolv.c, wire/dns.c; docs/libnet.md "Names").
// Not done: AAAA, reverse lookups, search domains, service names.
#ifndef LIBNET_NETDB_H
#define LIBNET_NETDB_H
#include "libnet/socket.h"
#include "libnet/dns.h"

struct hostent {
  char *h_name;              // the canonical name
  char **h_aliases;          // other names, 0-terminated
  int h_addrtype;            // AF_INET
  int h_length;              // 4
  char **h_addr_list;        // addresses in network byte order, 0-terminated
};
#define h_addr h_addr_list[0]

// h_errno after gethostbyname (values as glibc's).
extern int h_errno;
#define HOST_NOT_FOUND 1     // no such name (NXDOMAIN)
#define TRY_AGAIN      2     // no server answered, or one failed (SERVFAIL)
#define NO_RECOVERY    3     // the answer was refused or unusable
#define NO_DATA        4     // the name exists but has no address
#define NO_ADDRESS     NO_DATA

struct addrinfo {
  int ai_flags;
  int ai_family;
  int ai_socktype;
  int ai_protocol;
  socklen_t ai_addrlen;
  struct sockaddr *ai_addr;
  char *ai_canonname;
  struct addrinfo *ai_next;
};

// ai_flags
#define AI_PASSIVE     0x01  // no node: INADDR_ANY (else the loopback)
#define AI_CANONNAME   0x02  // fill ai_canonname in the first result
#define AI_NUMERICHOST 0x04  // node must be a dotted address: never look it up
#define AI_NUMERICSERV 0x400 // service is a number (it always must be here)

// getaddrinfo's errors: negative, and numbered, as glibc's.
#define EAI_BADFLAGS  -1
#define EAI_NONAME    -2
#define EAI_AGAIN     -3
#define EAI_FAIL      -4
#define EAI_NODATA    -5
#define EAI_FAMILY    -6
#define EAI_SOCKTYPE  -7
#define EAI_SERVICE   -8
#define EAI_MEMORY   -10
#define EAI_SYSTEM   -11

#define AF_UNSPEC 0

struct hostent *gethostbyname(const char *name);
const char *hstrerror(int err);
int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res);
void freeaddrinfo(struct addrinfo *ai);
const char *gai_strerror(int err);

// ---- libnet's own: the resolver's parts, for host(1) and the tests ----

#define LN_MAXNS 3           // servers kept from resolv.conf (glibc's MAXNS)

struct ln_resconf {
  uint32_t ns[LN_MAXNS];     // host byte order
  int nns;
  int timeout_ms;            // each try's wait ("options timeout:N", s; default 5)
  int attempts;              // rounds over the servers ("options attempts:N"; default 2)
};

// What the resolver saw and what it ignored, since the program started.
struct ln_resstats {
  int sent;                  // queries sent over UDP
  int tcp;                   // queries asked again over TCP (the answer had TC set)
  int timeouts;              // tries that got no answer in time
  int ign_source;            // datagrams from an address or port we did not ask
  int ign_id;                // answers with another query's id
  int ign_question;          // answers to another question, or not answers at all
  int ign_bad;               // malformed messages
};
extern struct ln_resstats ln_resstats;

// Read /etc/resolv.conf into c ("nameserver A.B.C.D", up to LN_MAXNS;
// "options timeout:N attempts:N"); a missing file leaves no servers.
void ln_resconf_read(struct ln_resconf *c);

// The address of name in /etc/hosts, host byte order, in *addr; 1 if
// found, 0 if not. canon (DNS_MAXNAME + 1 bytes, may be 0) gets the
// line's first name.
int ln_hostsfile(const char *name, uint32_t *addr, char *canon);

// Ask c's servers for name's A records, following CNAMEs, and fill a.
// Returns 0 with the answer in a (a->rcode may say NXDOMAIN, SERVFAIL...),
// -ETIMEDOUT if no server answered, -ENOENT if c names none, -EINVAL for
// a name that is no domain name, or another -E* from the sockets.
int ln_dnsquery(const char *name, const struct ln_resconf *c, struct dns_answer *a);
#endif
