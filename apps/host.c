// host: look a name up in the DNS and print its addresses, in the shape
// of Debian's host(1) (bind9-host): "NAME has address A.B.C.D", each
// CNAME as "NAME is an alias for TARGET.", "Host NAME not found:
// 3(NXDOMAIN)". Asks the servers of /etc/resolv.conf, or the one given;
// like Debian's, never reads /etc/hosts.
// Not done: record types other than A, reverse lookups, search domains.
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/netdb.h"

static void
usage(void)
{
  fprintf(2, "usage: host [-v] [-W wait] name [server]\n");
  exit(1);
}

// The answer, as Debian's host prints it.
static int
show(const char *name, const struct dns_answer *a)
{
  const char *from = name, *to = a->chain;
  char ip[16];

  if(a->rcode != DNS_NOERROR){
    printf("Host %s not found: %d(%s)\n", name, a->rcode, dns_rcodename(a->rcode));
    return 1;
  }
  for(int i = 0; i < a->nchain; i++){
    printf("%s is an alias for %s.\n", from, to);
    from = to;
    to += strlen(to) + 1;
  }
  if(a->nchain < a->ncname)
    printf("%s is an alias for %s. (through %d more aliases)\n", from, a->name,
           a->ncname - a->nchain);
  if(a->naddr == 0)
    printf("%s has no A record\n", a->name);
  for(int i = 0; i < a->naddr; i++)
    printf("%s has address %s\n", a->name, ip_ntoa(a->addr[i], ip));
  return 0;
}

static void
stats(void)
{
  struct ln_resstats *s = &ln_resstats;

  printf(";; sent %d, over tcp %d, timeouts %d; ignored: wrong source %d, "
         "wrong id %d, wrong question %d, malformed %d\n",
         s->sent, s->tcp, s->timeouts, s->ign_source, s->ign_id, s->ign_question, s->ign_bad);
}

// host: look up name's addresses in the DNS
// usage: host [-v] [-W wait] name [server]
//   -v  say what the resolver sent and what it ignored
//   -W  seconds to wait for each answer (default: resolv.conf's, or 5)
//   server  a dotted address to ask instead of resolv.conf's servers
// Exit status 0 if the name was found, 1 if not or no server answered.
int
main(int argc, char *argv[])
{
  struct ln_resconf c;
  struct dns_answer a;
  char ip[16];
  int ch, r, verbose = 0, wait = 0;

  while((ch = getopt(argc, argv, "vW:")) != -1){
    switch(ch){
    case 'v':
      verbose = 1;
      break;
    case 'W':
      if((wait = atoi(optarg)) < 1 || wait > 30){
        fprintf(2, "host: bad wait %s (1 to 30 seconds)\n", optarg);
        exit(1);
      }
      break;
    default:
      usage();
    }
  }
  if(argc - optind < 1 || argc - optind > 2)
    usage();
  ln_resconf_read(&c);
  if(wait)
    c.timeout_ms = wait * 1000;
  if(argc - optind == 2){
    if(!ip_aton(argv[optind + 1], &c.ns[0])){
      fprintf(2, "host: couldn't get address for '%s': not a dotted address\n",
              argv[optind + 1]);
      exit(1);
    }
    c.nns = 1;
    printf("Using domain server:\nName: %s\nAddress: %s#%d\nAliases: \n\n",
           argv[optind + 1], ip_ntoa(c.ns[0], ip), DNS_PORT);
  }
  r = ln_dnsquery(argv[optind], &c, &a);
  if(verbose)
    stats();
  switch(r){
  case 0:
    exit(show(argv[optind], &a));
  case -ENOENT:
    fprintf(2, "host: no nameserver in /etc/resolv.conf (name one, or give a server)\n");
    break;
  case -ETIMEDOUT:
    printf(";; connection timed out; no servers could be reached\n");
    break;
  case -EINVAL:
    fprintf(2, "host: '%s' is not a legal name\n", argv[optind]);
    break;
  default:
    fprintf(2, "host: %s\n", strerror(-r));
  }
  exit(1);
}
