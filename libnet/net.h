// net.h: libnet's layers, as they see each other. Applications use the
// BSD shim (socket.h); this header is for libnet's own files, its tests
// and the few programs (netd, ifconfig) that reach below the sockets.
//
// One stack per process, single-threaded: the state lives in globals
// (as the process is the whole host, for libnet), and the application
// drives it by calling into it (net_poll(), or any blocking socket call).
//
// Layers, bottom up, one file each:
//   chan.c / loop.c  the device: the kernel's rings, or an in-memory one for host tests
//   netif.c          the interface: addresses, routes, Ethernet in/out, the event loop, timers
//   arp.c            neighbour cache, resolution and the queue of packets waiting for it
//   ipv4.c           IPv4 in and out, routing, fragmentation and reassembly
//   icmp.c           echo, errors in and out
//   udp.c            UDP demultiplexing and datagram queues
//   socket.c         the BSD shim: the only file that knows errno and struct sockaddr
// State code never indexes packet bytes beyond its own header: it gets a
// parsed repr (wire.h) and a payload.
#ifndef LIBNET_NET_H
#define LIBNET_NET_H
#include "sys.h"
#include "wire.h"
#include "netref.h"

// ---- counters ------------------------------------------------------------
// One list, expanded for the struct and for the name table netstat-like
// programs and the tests print.
#define LN_STATS(X) \
  X(eth_rx,            "frames received") \
  X(eth_tx,            "frames handed to the device") \
  X(eth_drop_short,    "frames shorter than an Ethernet header") \
  X(eth_drop_type,     "frames of an EtherType we do not speak") \
  X(eth_drop_notforus, "frames for another MAC") \
  X(eth_tx_nobuf,      "frames not sent: no TX buffer free") \
  X(arp_rx,            "ARP messages received") \
  X(arp_drop_bad,      "ARP messages malformed, not IPv4 over Ethernet, or from sender 0.0.0.0 or a broadcast MAC") \
  X(arp_req_tx,        "ARP requests handed to the device") \
  X(arp_reply_tx,      "ARP replies handed to the device") \
  X(arp_queue_sent,    "packets sent once their neighbour answered (also in ip_tx)") \
  X(arp_queue_nobuf,   "packets dropped: neighbour answered, no TX buffer free") \
  X(arp_unresolved,    "packets dropped: neighbour never answered") \
  X(arp_queue_full,    "packets dropped: too many waiting for resolution, or no memory") \
  X(ip_rx,             "IPv4 packets received") \
  X(ip_drop_short,     "IPv4 packets shorter than a header") \
  X(ip_drop_version,   "IPv4 packets with version not 4") \
  X(ip_drop_hlen,      "IPv4 packets with a bad header length") \
  X(ip_drop_len,       "IPv4 packets whose total length disagrees with the frame") \
  X(ip_drop_cksum,     "IPv4 packets with a bad header checksum") \
  X(ip_drop_format,    "IPv4 packets with a malformed header field (an option, RFC 791)") \
  X(ip_drop_notforus,  "IPv4 packets for another address") \
  X(ip_drop_badsrc,    "IPv4 packets from a source no single host can have") \
  X(ip_drop_proto,     "IPv4 packets of a protocol we do not speak") \
  X(ip_drop_noroute,   "IPv4 packets not sent: no route") \
  X(ip_tx,             "IPv4 packets handed to the device") \
  X(ip_tx_arpwait,     "IPv4 packets queued to wait for ARP (then arp_queue_sent, _nobuf or arp_unresolved)") \
  X(ip_frag_rx,        "IPv4 fragments received") \
  X(ip_reasm_ok,       "datagrams reassembled") \
  X(ip_reasm_timeout,  "datagrams dropped: fragments missing at timeout") \
  X(ip_reasm_kill,     "datagrams given up: overlap, too long, too many fragments or no memory") \
  X(ip_reasm_drop,     "fragments dropped: duplicate, bad length, no free slot, or their datagram given up") \
  X(ip_frag_out,       "fragments made of datagrams over the MTU (then sent, or queued for ARP)") \
  X(ip_ctl_up,         "errors about our datagrams handed to their transport's ctlinput") \
  X(ip_ctl_badquote,   "errors about our datagrams quoting no usable IPv4 header and 8 bytes (RFC 792)") \
  X(ip_ctl_frag,       "errors about our datagrams' later fragments, which hold no transport header") \
  X(ip_ctl_noproto,    "errors about our datagrams of a protocol with no ctlinput") \
  X(icmp_rx,           "ICMP messages received") \
  X(icmp_drop_bad,     "ICMP messages too short, with a bad checksum, or an echo from no single host") \
  X(icmp_echo_reply_tx,"echo replies passed to IPv4 (sent, or queued for ARP)") \
  X(icmp_ignored,      "ICMP messages ignored: echo not ours to answer, a type we do not use, or an error about a message of ours not an echo") \
  X(icmp_drop_noport,  "echo replies, or errors about our echoes, for an identifier no socket holds") \
  X(icmp_drop_full,    "ICMP messages dropped: raw socket queue full") \
  X(icmp_err_rx,       "ICMP errors received (then to ipv4_ctlinput)") \
  X(icmp_err_tx,       "ICMP errors passed to IPv4 (sent, or queued for ARP)") \
  X(icmp_err_ratelimit,"ICMP errors not sent: rate limit") \
  X(icmp_err_refused,  "ICMP errors not sent: about an ICMP error, a later fragment, or to or from a broadcast (RFC 1122 3.2.2)") \
  X(icmp_err_llbcast,  "ICMP errors not sent: the datagram came as a link-layer broadcast or multicast (RFC 1122 3.2.2)") \
  X(udp_rx,            "UDP datagrams received") \
  X(udp_drop_bad,      "UDP datagrams with a bad length") \
  X(udp_drop_cksum,    "UDP datagrams with a bad checksum") \
  X(udp_drop_noport,   "UDP datagrams for a port with no socket") \
  X(udp_drop_full,     "UDP datagrams dropped: socket queue full") \
  X(udp_tx,            "UDP datagrams passed to IPv4 (sent, or queued for ARP)") \
  X(sock_drop_nomem,   "datagrams or ICMP messages not queued to a socket: no memory") \
  X(tcp_rx,            "TCP segments received") \
  X(tcp_drop_bad,      "TCP segments too short, with a bad data offset or a bad checksum") \
  X(tcp_drop_badopt,   "TCP segments with a malformed option (RFC 9293 MUST-7)") \
  X(tcp_drop_norst,    "TCP segments for no connection dropped unanswered: a reset, to a broadcast, or not ours to answer") \
  X(tcp_rst_tx,        "TCP resets passed to IPv4 (sent, or queued for ARP)") \
  X(tcp_rst_rx,        "TCP resets that ended a connection") \
  X(tcp_accepts,       "TCP connections begun by a peer's SYN") \
  X(tcp_connects,      "TCP connections established") \
  X(tcp_conn_refused,  "TCP active opens refused by a reset") \
  X(tcp_drop_listenrst,"TCP resets to a listener, ignored") \
  X(tcp_drop_listennosyn, "TCP segments to a listener without SYN, dropped") \
  X(tcp_drop_synqfull, "TCP SYNs dropped: the listener's SYN or accept queue is full") \
  X(tcp_drop_nomem,    "TCP segments dropped: no memory for a connection or its buffer") \
  X(tcp_drop_badack,   "TCP segments in SYN-SENT acknowledging what we never sent") \
  X(tcp_drop_rst,      "TCP resets in SYN-SENT without an acceptable ACK, ignored") \
  X(tcp_drop_synsent,  "TCP segments in SYN-SENT with neither SYN nor RST") \
  X(tcp_drop_paws,     "TCP segments with an old timestamp (PAWS, RFC 7323 5)") \
  X(tcp_rx_nots,       "TCP segments without the timestamps the connection agreed on (accepted)") \
  X(tcp_drop_outwin,   "TCP segments outside the receive window (answered with an ACK)") \
  X(tcp_drop_rstoutwin,"TCP resets outside the receive window") \
  X(tcp_drop_rstinwin, "TCP resets in the window but not at its edge (challenge ACK, RFC 5961 3)") \
  X(tcp_drop_syninwin, "TCP SYNs on a synchronized connection (challenge ACK, RFC 5961 4)") \
  X(tcp_rx_dupsyn,     "TCP SYNs again in SYN-RECEIVED (SYN-ACK sent again)") \
  X(tcp_drop_noack,    "TCP segments without ACK on a synchronized connection") \
  X(tcp_drop_ackahead, "TCP segments acknowledging data not yet sent (answered with an ACK)") \
  X(tcp_drop_ackold,   "TCP segments with an ACK too old to be valid (challenge ACK, RFC 5961 5)") \
  X(tcp_challenge_tx,  "TCP challenge ACKs sent (RFC 5961)") \
  X(tcp_challenge_limit, "TCP challenge ACKs not sent: the rate limit (RFC 5961 7)") \
  X(tcp_drop_afterclose, "TCP data for a connection the application closed (answered with a reset)") \
  X(tcp_rx_afterfin,   "TCP segments with data after the peer's FIN, ignored") \
  X(tcp_rx_inorder,    "TCP segments with data in order") \
  X(tcp_rx_bytes,      "TCP payload bytes received in order") \
  X(tcp_rx_ooo,        "TCP segments with data out of order, held") \
  X(tcp_drop_ooofull,  "TCP segments out of order dropped: every out-of-order range in use") \
  X(tcp_rx_dup,        "TCP segments whose data was all received before") \
  X(tcp_rx_partdup,    "TCP segments whose data was partly received before (trimmed)") \
  X(tcp_rx_trimwin,    "TCP segments trimmed to the receive window") \
  X(tcp_rx_shutrd,     "TCP segments with data after SHUT_RD (acknowledged, thrown away)") \
  X(tcp_fin_rx,        "TCP FINs received in order") \
  X(tcp_fin_tx,        "TCP FINs sent (not counting retransmissions)") \
  X(tcp_tx,            "TCP segments passed to IPv4") \
  X(tcp_tx_bytes,      "TCP payload bytes sent for the first time") \
  X(tcp_tx_rexmt,      "TCP segments with data sent again") \
  X(tcp_tx_rexmt_bytes,"TCP payload bytes sent again") \
  X(tcp_tx_copy_bytes, "TCP payload bytes copied from the send ring into frames") \
  X(tcp_tx_ring_bytes, "TCP payload bytes the device read from a send ring in the device's ring room (zero copy)") \
  X(tcp_tx_ref_bytes,  "TCP payload bytes sent by reference: the device reads them from the payload cache (zero copy)") \
  X(tcp_tx_refcopy_bytes, "TCP payload bytes of references copied into frames (no split frame possible: ARP wait, a device without it)") \
  X(tcp_tx_nobuf,      "TCP segments not sent now: no TX buffer (sent on a later turn)") \
  X(tcp_rexmt_timeout, "TCP retransmission timeouts") \
  X(tcp_drop_timeout,  "TCP connections dropped: too many retransmissions") \
  X(tcp_persist_probe, "TCP zero-window probes") \
  X(tcp_drop_keepalive,"TCP connections dropped: keepalive probes unanswered") \
  X(tcp_dupack,        "TCP duplicate ACKs received") \
  X(tcp_fast_rexmt,    "TCP fast retransmits (recovery entered)") \
  X(tcp_early_rexmt,   "TCP fast retransmits entered early: fewer than four segments out, nothing new to send (RFC 5827)") \
  X(tcp_dupack_norecover, "TCP duplicate ACKs that did not start recovery again (RFC 6582 4.1)") \
  X(tcp_partial_ack,   "TCP partial ACKs in recovery") \
  X(tcp_sack_rexmt,    "TCP segments resent from the SACK scoreboard") \
  X(tcp_sack_bad,      "TCP SACK blocks outside what we sent, ignored") \
  X(tcp_sack_full,     "TCP SACK blocks not remembered: scoreboard full") \
  X(tcp_ctl_drop,      "ICMP errors quoting no connection of ours, or a sequence number not in flight") \
  X(tcp_ctl_abort,     "TCP handshakes ended by an ICMP protocol or port unreachable") \
  X(tcp_ctl_soft,      "ICMP errors kept as a connection's soft error") \
  X(tcp_timewait_reuse,"TCP TIME-WAIT connections ended early by a new SYN on their 4-tuple (RFC 6191)") \
  X(tcp_handoff_tx,    "TCP handoffs of closing connections sent to netd at exit") \
  X(tcp_adopted,       "TCP closing connections netd took over from a process that exited") \
  X(tcp_adopt_bad,     "TCP handoff records dropped: malformed, or a connection held already") \
  X(tcp_ctl_pmtu,      "TCP segment sizes lowered by fragmentation-needed (RFC 1191)")

enum {
#define LN_ENUM(name, desc) LN_##name,
  LN_STATS(LN_ENUM)
#undef LN_ENUM
  LN_NSTATS
};
extern uint64_t lnstat[LN_NSTATS];
extern const char *lnstat_names[LN_NSTATS];
#define LNSTAT(name) (lnstat[LN_##name]++)

// ---- the device ------------------------------------------------------------
// A frame-at-a-time device. txbuf() lends a buffer of at least
// NET_FRAMEMAX bytes to build a frame in (0 if none is free now);
// txpush() hands it over with its length. rxframe() shows the next
// received frame (0 if none), rxpop() gives it back. sync() moves frames
// between libnet and the device, waiting up to timeout_ms (-1: forever)
// if nothing is waiting; it returns the number of frames to read.
struct netdev {
  uint8_t mac[6];
  int fd;                        // pollable descriptor, or -1
  uint8_t *(*txbuf)(struct netdev *d);
  void (*txpush)(struct netdev *d, int len);
  uint8_t *(*rxframe)(struct netdev *d, int *len);
  void (*rxpop)(struct netdev *d);
  int (*sync)(struct netdev *d, int timeout_ms);
  int (*claim)(struct netdev *d, int proto, int port);  // kernel port filter; port or -E*
  // The interface's configuration generation: when it changes, the
  // stack reads the addresses again (getaddr). 0 forever on devices
  // without a kernel behind them.
  uint32_t (*cfggen)(struct netdev *d);
  int (*getaddr)(struct netdev *d, uint32_t *ip, uint32_t *mask, uint32_t *gw);
  // The payload cache (netref.h), 0 if none; and, on a device that reads
  // it in place, a frame whose first hdrlen bytes are in the TX buffer
  // and whose paylen bytes after them are the cache's from payoff.
  uint8_t *cache;
  uint32_t cachesize;
  void (*txsplit)(struct netdev *d, int hdrlen, uint32_t payoff, int paylen);
  // Room the device reads in place as it reads the cache, for TCP's
  // send rings (tcp_sndbufinit): ringsize bytes at ring, which is
  // ringoff bytes past the cache's start (the payoff of its first
  // byte). 0 if none. Not the application's: ln_cache() does not count it.
  uint8_t *ring;
  uint32_t ringoff, ringsize;
  void *priv;
};
#define NET_RINGPAGES 64    // pages of ring room a channel opens with (chan.c): two 128 KiB send rings
#define NET_MTU 1500
#define NET_FRAMEMAX (ETH_HLEN + NET_MTU)

struct netdev *chan_netdev(void);   // chan.c, guest: the kernel channel (opens it)
struct netdev *loop_netdev(void);   // loop.c, host tests: frames to and from queues
int loop_inject(const uint8_t *f, int len);
int loop_take(uint8_t *buf, int max);
void loop_reset(void);
void loop_txlimit(int n);           // lend at most n TX buffers between syncs; -1: no limit
void loop_setcache(uint32_t size);  // a payload cache of size bytes (at most 2 MiB), split frames; 0: none
int loop_splits(void);              // split frames sent since loop_reset
int loop_synclog(int *t, int max);  // syncs since last asked, their timeouts in t[0..max)
int net_autoinit(void);             // bring the stack up on the default device

// ---- the interface (netif.c) -------------------------------------------------
struct route {
  uint32_t net, mask, gw;   // gw 0: on-link
  int metric;
  int used;
};
#define NROUTE 8

struct netif {
  struct netdev *dev;
  uint8_t mac[6];
  uint32_t ip, mask, gw;    // host order
  int isdefault;            // we hold the kernel's default-responder claim (netd)
  uint32_t cfggen;          // the device's cfggen when we last read the addresses
  struct route routes[NROUTE];
};
extern struct netif netif;

int net_init(struct netdev *dev);              // 0 or -E*; reads the address from the kernel (guest)
void net_setaddr(uint32_t ip, uint32_t mask, uint32_t gw);  // routes follow
int net_become_default(void);                  // claim the default responder role (netd)
int net_poll(int timeout_ms);                  // run the stack; wait up to timeout for input
int net_poll_ring(void);                       // run the stack on what the ring holds, no new sync
void net_run(void (*each)(void)) __attribute__((noreturn));  // run the stack for ever (netd); each() after every turn
extern uint64_t net_rundeadline;  // net_run turns by then (ln_now_ms) even if nothing comes: the daemon's own timers; ~0 none
// netd tells a local program (netstat -l) its counters: a datagram to
// this UDP port from our own address gets a uint32 LN_NSTATS and then
// lnstat[], host order, back. Only over loopback: nothing leaves the host.
#define NET_STATPORT 2999
// A process's libnet hands netd the TCP connections still in TIME-WAIT
// or FIN-WAIT-2 as it exits (tcp_orphan.c), on this UDP port, over loopback.
#define NET_TCPHANDPORT 2998
void net_input(const uint8_t *frame, int len); // one received frame, all layers
int net_route(uint32_t dst, uint32_t *nexthop); // 0 or -ENETUNREACH; longest prefix, then metric
int route_add(uint32_t net, uint32_t mask, uint32_t gw, int metric);
int route_del(uint32_t net, uint32_t mask);
int net_isours(uint32_t dst);                  // our address, or a broadcast we accept
int net_isbcast(uint32_t dst);
int net_isvalidsrc(uint32_t src);              // 0 for 0/8, 127/8, class D/E and broadcasts

// A TX frame buffer, or 0 at once if the device has none free after one
// sync that does not wait: never blocks. The caller that then drops its
// frame counts eth_tx_nobuf and returns -ENOBUFS. net_txpush hands the
// frame over with its length (padded to 60 bytes here).
uint8_t *net_txbuf(void);
void net_txpush(uint8_t *frame, int len);
void net_txsplit(uint8_t *frame, int hdrlen, uint32_t payoff, int paylen);

// Send the IPv4 packet pkt (header included, len bytes) to nexthop: resolve
// its MAC (queueing the packet if ARP must ask), wrap it in Ethernet and
// hand it to the device. Returns 0 if handed to the device, ETH_QUEUED if
// it waits for ARP, or -E* (-ENOBUFS: no TX buffer, or ARP's queue full).
#define ETH_QUEUED 1
int eth_output_ip(uint32_t nexthop, const uint8_t *pkt, int len);
// Zero-copy path: a TX frame buffer for a packet to nexthop if its MAC is
// known and a buffer free, else 0 (the caller builds the packet elsewhere
// and uses eth_output_ip(), which queues it or says why not). The IP
// packet goes at the returned pointer + ETH_HLEN.
uint8_t *eth_txbegin(uint32_t nexthop, const uint8_t **mac);
void eth_txfinish(uint8_t *frame, const uint8_t *mac, int iplen);
void eth_txsplit(uint8_t *frame, const uint8_t *mac, int iphdr, uint32_t payoff, int paylen);

// timers: each layer's periodic work, run by net_poll().
uint64_t net_nexttimer(void);   // absolute ms of the earliest timer, or ~0

// ---- arp.c ---------------------------------------------------------------------
#define ARP_NENTRY 256
#define ARP_TTL_MS (300 * 1000)
#define ARP_RETRY_MS 1000
#define ARP_TRIES 3
#define ARP_QMAX 64              // packets waiting for resolution, all neighbours (a 64 KiB datagram is 45 fragments)
int arp_lookup(uint32_t ip, uint8_t mac[6]);   // 1 if known
void arp_update(uint32_t ip, const uint8_t mac[6]);
int arp_request(uint32_t ip);
int arp_enqueue(uint32_t nexthop, const uint8_t *pkt, int len);  // 0 or -ENOBUFS
void arp_input(const struct eth_repr *eth, const uint8_t *p, int len);
int arp_gratuitous(void);
void arp_timer(uint64_t now);
uint64_t arp_nexttimer(void);
void arp_flush(void);

// ---- ipv4.c ----------------------------------------------------------------------
#define IP_TTL 64
#define REASM_TIMEOUT_MS 10000
#define REASM_MAXBYTES (64 * 1024)   // all partial datagrams together
#define REASM_NSLOT 8
void ipv4_input(const struct eth_repr *eth, const uint8_t *p, int len);
// Send a transport payload (its header included, len bytes) to dst;
// fragments as needed. Returns 0 or -E* (-ENETUNREACH, -EMSGSIZE, -ENOBUFS).
int ipv4_output(uint32_t dst, int proto, const uint8_t *payload, int len);
// Zero-copy variant for payloads that need no fragmentation and whose
// next hop is resolved: returns where to write len bytes of payload, or 0.
uint8_t *ipv4_txbegin(uint32_t dst, int proto, int len, void **cookie);
int ipv4_txfinish(void *cookie);
// As ipv4_txfinish, but only hdrlen bytes of the payload were written:
// the rest, up to the length given to ipv4_txbegin, are paylen bytes of
// the device's payload cache from payoff (netdev.txsplit).
int ipv4_txsplit(void *cookie, int hdrlen, uint32_t payoff, int paylen);
void ipv4_timer(uint64_t now);
uint64_t ipv4_nexttimer(void);

// ---- icmp.c ----------------------------------------------------------------------
void icmp_input(const struct ipv4_repr *ip, const uint8_t *p, int len);
// Send an ICMP error about the packet `orig` (its IP header first, olen
// bytes) we received; llcast if it came as a link-layer broadcast or
// multicast. Rate-limited; never about an ICMP error, a broadcast, a
// link-layer broadcast, or a fragment other than the first (RFC 1122
// 3.2.2). Each error not sent is counted by why.
void icmp_error(int type, int code, uint32_t rest, const uint8_t *orig, int olen, int llcast);

// ---- errors about what we sent, to the transport (BSD's pr_ctlinput) ---------------
// An ICMP error (icmp.c), or a neighbour that never answered ARP (arp.c,
// as a host unreachable), about a datagram we sent. ipv4_ctlinput parses
// the quoted IP header (ipv4_parse_quoted) and hands the quoted transport
// bytes, unread, to that protocol's ctlinput: only the transport reads
// its own header. err is the errno the message means (icmp_errno).
// A protocol's ctlinput gets the quoted header parsed (qip) and at least
// 8 bytes of it at qp (qlen, up to the quoted totlen), from fragment
// zero only; drops are counted ip_ctl_* by cause.
struct ctlmsg {
  int type, code;     // ICMP's; ARP failure is ICMP_UNREACH / ICMP_UNREACH_HOST
  uint32_t rest;      // the ICMP header's second word (the MTU of a "fragmentation needed")
  int err;            // positive errno
  // The ICMP error as it came, for a raw socket that takes it whole
  // (ping), as Linux hands its err_handler the skb: its IP header ip,
  // and msg, the ICMP message (msglen bytes, ip->hlen after that
  // header). 0 when no message came (ARP gave up).
  const struct ipv4_repr *ip;
  const uint8_t *msg;
  int msglen;
};
void ipv4_ctlinput(const struct ctlmsg *m, const uint8_t *quoted, int qlen);
int icmp_errno(int type, int code);
void icmp_ctlinput(const struct ctlmsg *m, const struct ipv4_repr *qip, const uint8_t *qp, int qlen);
void udp_ctlinput(const struct ctlmsg *m, const struct ipv4_repr *qip, const uint8_t *qp, int qlen);
void tcp_ctlinput(const struct ctlmsg *m, const struct ipv4_repr *qip, const uint8_t *qp, int qlen);

// ---- udp.c -----------------------------------------------------------------------
void udp_input(const struct ipv4_repr *ip, const uint8_t *p, int len, int llcast);
int udp_output(uint16_t sport, uint32_t dst, uint16_t dport, const uint8_t *data, int len);

// ---- tcp*.c (tcp.h has the connection machinery) -----------------------------------
void tcp_input(const struct ipv4_repr *ip, const uint8_t *p, int len, int llcast);
void tcp_timer(uint64_t now);
uint64_t tcp_nexttimer(void);
void tcp_turnend(void);           // each turn: the ACKs owed, and output that waited for a TX buffer
int net_txblocked(void);          // some connection waits for a TX buffer
void tcp_exit(void);              // at exit: finish sending, within TCP_EXIT_LINGER_MS; hand the rest to netd
int tcp_handoff(void);            // send netd our TIME-WAIT and FIN-WAIT-2 connections
void tcp_adopt(const uint8_t *msg, int len);   // netd: take them in

// ---- sockets, as the layers see them ----------------------------------------------
// socket.c keeps the descriptor table and does what every kind shares:
// addresses, errno, blocking (running the stack until a kind's ready()
// says yes), poll and select. Each kind is a table of operations, all
// non-blocking, chosen once at socket(): dgram.c (UDP, raw ICMP) and
// stream.c (TCP). The shim never branches on the protocol.
#define NSOCK 512
#define SOCK_FDBASE 64           // socket descriptors start here, above the kernel's
#define SOCK_RQMAX 64            // datagrams queued per socket
#define SOCK_RQBYTES (128 * 1024)

struct dgram {
  struct dgram *next;
  uint32_t src;
  uint16_t sport;
  uint8_t ttl;
  int len;
  uint8_t data[];
};

struct sock;
struct tcpcb;
// Every operation returns >= 0 or -E*; -EAGAIN means "not now", and
// socket.c waits (blocking sockets) or reports it (non-blocking ones).
struct sockops {
  int (*bind)(struct sock *s, uint32_t ip, uint16_t port);
  int (*connect)(struct sock *s, uint32_t ip, uint16_t port);   // 0, -EINPROGRESS or -E*
  int (*listen)(struct sock *s, int backlog);
  int (*accept)(struct sock *s, struct sock *ns);               // fills ns
  // dst 0: the connected peer. Returns bytes taken, or -EAGAIN if none fit now.
  int (*send)(struct sock *s, const uint8_t *buf, int len, int flags, const uint32_t *dst, uint16_t dport);
  // Streams only (0 elsewhere): queue bytes of a cache range (netref.h). len or -E*.
  int (*sendref)(struct sock *s, struct netref *r, uint32_t off, uint32_t len);
  // Returns bytes, 0 at end of stream, or -EAGAIN.
  int (*recv)(struct sock *s, uint8_t *buf, int len, int flags, uint32_t *src, uint16_t *sport);
  int (*shutdown)(struct sock *s, int how);
  int (*ready)(struct sock *s);                                 // POLLIN|POLLOUT|POLLERR|POLLHUP now
  int (*setopt)(struct sock *s, int level, int opt, const void *val, int len);
  int (*getopt)(struct sock *s, int level, int opt, void *val, int *len);
  void (*close)(struct sock *s);
  int (*lingering)(struct sock *s);                             // seconds close() should wait (SO_LINGER), or 0
};
extern const struct sockops dgram_ops, stream_ops;

struct sock {
  const struct sockops *ops;
  int fd;
  int type;                 // SOCK_STREAM, SOCK_DGRAM or SOCK_RAW
  int proto;                // IP_PROTO_TCP, _UDP or _ICMP
  uint32_t laddr, raddr;    // host order; raddr != 0 when connected
  uint16_t lport, rport;    // ports; for ICMP, lport is the echo id
  int nonblock;
  int rcvtimeo_ms, sndtimeo_ms;   // -1: block forever
  int reuseaddr;
  int error;                // pending error (positive errno), reported once (datagrams)
  // datagram kinds
  struct sock *dnext;       // dgram.c's list
  struct dgram *rqhead, *rqtail;
  int rqcount, rqbytes;
  // stream
  struct tcpcb *tp;
};

struct sock *sock_byport(int proto, uint16_t lport);
// Queue a copy of data for s. Returns 0, -ENOBUFS if s's queue is full
// or -ENOMEM; the caller counts the drop, under its protocol's name.
int sock_deliver(struct sock *s, uint32_t src, uint16_t sport, uint8_t ttl,
                 const uint8_t *data, int len);
void sock_error(int proto, uint16_t lport, uint32_t raddr, uint16_t rport, int err);
int net_txroom(void);       // 1 if the device has a TX buffer free now

#endif
