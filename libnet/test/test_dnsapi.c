// Host tests for netdb.h's calls on what needs no server: dotted
// addresses, no node at all, bad hints and services, and the error
// strings. Names are left to pcap-tests/test_dns.py, where the guest
// has its own /etc/hosts and a server the test runs.
#define LIBNET_NO_MACROS
#include "libnet/test/test.h"
#include "libnet/netdb.h"

static struct addrinfo *
hints(int flags, int family, int socktype)
{
  static struct addrinfo h;

  memset(&h, 0, sizeof(h));
  h.ai_flags = flags;
  h.ai_family = family;
  h.ai_socktype = socktype;
  return &h;
}

static uint32_t
addr(const struct addrinfo *ai)
{
  return ln_htonl(((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr);
}

static uint16_t
port(const struct addrinfo *ai)
{
  return ln_htons(((struct sockaddr_in *)ai->ai_addr)->sin_port);
}

static void
test_numeric_stream(void)
{
  struct addrinfo *res;

  CHECKEQ(getaddrinfo("10.0.2.2", "80", hints(0, AF_INET, SOCK_STREAM), &res), 0);
  CHECK(res && res->ai_next == 0);
  CHECKEQ(res->ai_family, AF_INET);
  CHECKEQ(res->ai_socktype, SOCK_STREAM);
  CHECKEQ(res->ai_protocol, IPPROTO_TCP);
  CHECKEQ(res->ai_addrlen, sizeof(struct sockaddr_in));
  CHECKEQ(addr(res), 0x0a000202);
  CHECKEQ(port(res), 80);
  CHECK(res->ai_canonname == 0);
  freeaddrinfo(res);
}

// No socket type in the hints: one result for TCP, one for UDP.
static void
test_numeric_any_type(void)
{
  struct addrinfo *res;

  CHECKEQ(getaddrinfo("10.0.2.15", 0, 0, &res), 0);
  CHECK(res && res->ai_next && res->ai_next->ai_next == 0);
  CHECKEQ(res->ai_socktype, SOCK_STREAM);
  CHECKEQ(res->ai_next->ai_socktype, SOCK_DGRAM);
  CHECKEQ(res->ai_next->ai_protocol, IPPROTO_UDP);
  CHECKEQ(addr(res->ai_next), 0x0a00020f);
  CHECKEQ(port(res), 0);
  freeaddrinfo(res);
}

static void
test_no_node(void)
{
  struct addrinfo *res;

  CHECKEQ(getaddrinfo(0, "7", hints(AI_PASSIVE, AF_UNSPEC, SOCK_DGRAM), &res), 0);
  CHECKEQ(addr(res), INADDR_ANY);
  CHECKEQ(port(res), 7);
  freeaddrinfo(res);
  CHECKEQ(getaddrinfo(0, "7", hints(0, AF_INET, SOCK_DGRAM), &res), 0);
  CHECKEQ(addr(res), INADDR_LOOPBACK);
  freeaddrinfo(res);
  CHECKEQ(getaddrinfo(0, 0, 0, &res), EAI_NONAME);
  CHECK(res == 0);
}

static void
test_canonname(void)
{
  struct addrinfo *res;

  CHECKEQ(getaddrinfo("10.0.2.2", 0, hints(AI_CANONNAME, 0, 0), &res), 0);
  CHECK(res->ai_canonname && strcmp(res->ai_canonname, "10.0.2.2") == 0);
  CHECK(res->ai_next->ai_canonname == 0);
  freeaddrinfo(res);
}

static void
test_bad_arguments(void)
{
  struct addrinfo *res;

  // AI_NUMERICHOST: a name is refused without any lookup
  CHECKEQ(getaddrinfo("a.test", 0, hints(AI_NUMERICHOST, 0, 0), &res), EAI_NONAME);
  CHECKEQ(getaddrinfo("10.0.2.2", "http", 0, &res), EAI_SERVICE);
  CHECKEQ(getaddrinfo("10.0.2.2", "65536", 0, &res), EAI_SERVICE);
  CHECKEQ(getaddrinfo("10.0.2.2", "", 0, &res), EAI_SERVICE);
  CHECKEQ(getaddrinfo("10.0.2.2", "7", hints(0, 0, SOCK_RAW), &res), EAI_SERVICE);
  CHECKEQ(getaddrinfo("10.0.2.2", 0, hints(0, 10, 0), &res), EAI_FAMILY);
  CHECKEQ(getaddrinfo("10.0.2.2", 0, hints(0, 0, 99), &res), EAI_SOCKTYPE);
  CHECKEQ(getaddrinfo("10.0.2.2", 0, hints(0x8000, 0, 0), &res), EAI_BADFLAGS);
  CHECK(res == 0);
}

static void
test_strings(void)
{
  CHECK(strcmp(gai_strerror(EAI_NONAME), "Name or service not known") == 0);
  CHECK(strcmp(gai_strerror(EAI_AGAIN), "Temporary failure in name resolution") == 0);
  CHECK(strcmp(gai_strerror(12345), "Unknown error") == 0);
  CHECK(strcmp(hstrerror(HOST_NOT_FOUND), "Unknown host") == 0);
}

static void
test_gethostbyname_numeric(void)
{
  struct hostent *h = gethostbyname("10.0.2.2");
  static const uint8_t want[] = { 10, 0, 2, 2 };

  CHECK(h != 0);
  if(h == 0)
    return;
  CHECKEQ(h->h_addrtype, AF_INET);
  CHECKEQ(h->h_length, 4);
  CHECKMEM(h->h_addr, want, 4);
  CHECK(h->h_addr_list[1] == 0);
  CHECK(strcmp(h->h_name, "10.0.2.2") == 0);
}

static const struct test tests[] = {
  { test_numeric_stream, "numeric_stream" },
  { test_numeric_any_type, "numeric_any_type" },
  { test_no_node, "no_node" },
  { test_canonname, "canonname" },
  { test_bad_arguments, "bad_arguments" },
  { test_strings, "strings" },
  { test_gethostbyname_numeric, "gethostbyname_numeric" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
