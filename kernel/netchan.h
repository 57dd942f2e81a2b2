// The network channel: the kernel-user interface for packet I/O.
// Included by the kernel and by libnet (and by host builds of libnet),
// never copied. Everything here is fixed width and pointer free: the
// kernel and the process map the region at different addresses, so
// buffers are named by index and parts of the region by offset.
//
// A process opens a channel with netopen(); the kernel maps this region
// at NC_VA in its address space:
//
//   NC_VA + 0x0000  struct nc_info     read-only: sizes, offsets, MAC
//   NC_VA + 0x1000  struct nc_ring     RX ring: frames the kernel delivered
//   NC_VA + 0x2000  struct nc_ring     TX ring: frames for the kernel to send
//   NC_VA + 0x3000  struct nc_txpay[]  TX payload references, one per TX slot
//   NC_VA + 0x4000  buffer 0           NC_NBUFS buffers of NC_BUFSIZE bytes,
//   NC_VA + 0x5000  buffer 1           each a page of its own, so the kernel
//   ...                                can move a received page into a
//                                      buffer's place instead of copying
//   NC_VA + NC_SIZE payload cache      cache_size bytes, if asked for at open
//
// Each ring is NC_NSLOTS slots. A slot names a buffer by index and says
// how long the frame in it is.
//
// Ownership. head is written by the process, tail by the kernel.
// Slots in [head, tail) belong to the process; slots in [tail, head)
// belong to the kernel, which never touches the process's slots and
// ignores what the process writes into its own. At least one slot is
// always the kernel's, so head == tail means "the process owns none".
//
//   RX: [head, tail) are received frames. The process reads them and
//       moves head forward to give the slots (and their buffers) back.
//       It may put another buffer it owns into a slot before giving it
//       back (the kernel checks). The kernel moves tail forward as it
//       delivers frames, at netsync() time.
//   TX: [head, tail) are free slots. The process puts a frame in a
//       buffer it owns, its index and length in the slot at head, and
//       moves head forward: that hands the slot to the kernel. When the
//       device is done with the buffer, netsync() moves tail past the
//       slot and the buffer is the process's again.
//       The one slot the kernel always keeps holds buffer NC_NBUFS-1,
//       the kernel's own, never the process's: so a finished slot comes
//       back with the buffer of the slot after it, and every buffer the
//       process sent is back once the device is done with it, the last
//       one included, without another push. Take buffers from the
//       slots, never assume a slot comes back with the buffer it took.
//       Waiting for TX: a process with no free TX slot that waits in
//       netsync() is woken when slots can come back, or when frames it
//       handed over find room in the device; one with a free slot is
//       not woken by TX completions (it gets its slots back at its next
//       netsync). poll() reports POLLOUT when a netsync would make
//       progress: free slots, finished ones to return, or frames
//       waiting for room the device now has.
//
// A buffer is owned by the process unless it sits in a kernel-owned RX
// slot or in a TX slot not yet returned. The kernel keeps the truth
// about every buffer in its own memory; nothing in this region is
// trusted. A frame the kernel refuses to send comes back, with its
// buffer, marked NCS_REJECTED (in the slot before its own, as every
// buffer does), and the reason is counted (struct nc_stats).
//
// The payload cache (version 4). netopen(NC_OPEN_CACHE(npages)) also
// maps npages pages (at most NC_CACHEMAX) right after the pool,
// read-write. They never move and are never flipped: the process fills
// them once (file data, split at its segment size, checksums summed
// ahead) and sends from them as often as it likes, the same bytes in
// many frames in flight at once. A TX slot flagged NCS_PAYLOAD holds
// only the frame's headers (Ethernet, IPv4, TCP or UDP) in its buffer;
// the frame goes on with txpay[slot]'s len bytes from byte off of the
// cache. The kernel copies and checks the headers as for any frame;
// the device reads the payload from the cache itself. A process that
// rewrites cache bytes in flight changes only its own frames.
//
// Byte order: every field here is in host order; the frames in the
// buffers are in network order, as on the wire.
#ifndef NETCHAN_H
#define NETCHAN_H
#include <stdint.h>

#define NC_VERSION    4                // 4: payload cache and split TX slots; 3: the kernel keeps buffer NC_NBUFS-1
#define NC_VA         0x1000000000ULL  // where the region is mapped (64 GiB)
#define NC_NSLOTS     512              // slots per ring, a power of two
#define NC_NBUFS      1152             // buffers in the pool: both rings full, and 128 more
#define NC_BUFSIZE    4096             // bytes per buffer: one page
#define NC_INFO_OFF   0x0000
#define NC_RX_OFF     0x1000
#define NC_TX_OFF     0x2000
#define NC_TXPAY_OFF  0x3000
#define NC_BUF_OFF    0x4000
#define NC_SIZE       (NC_BUF_OFF + (uint64_t)NC_NBUFS * NC_BUFSIZE)
#define NC_CACHE_OFF  NC_SIZE          // the payload cache, when there is one
#define NC_CACHEMAX   2048             // most cache pages one channel may have (8 MiB)
// netopen(flags): flags are 0 or NC_OPEN_CACHE(npages), 1 <= npages <=
// NC_CACHEMAX; anything else is -EINVAL, and no memory for it -ENOMEM.
#define NC_OPEN_CACHE(npages) ((npages) << 16)
#define NC_FRAMEMIN   14               // an Ethernet header: the shortest frame accepted
#define NC_FRAMEMAX   1514             // header + 1500-byte MTU, no FCS
#define NC_MTU        1500

struct nc_info {
  uint32_t version;     // (k) NC_VERSION
  uint32_t nslots;      // (k) NC_NSLOTS
  uint32_t nbufs;       // (k) NC_NBUFS
  uint32_t bufsize;     // (k) NC_BUFSIZE
  uint32_t rx_off;      // (k) offset of the RX ring from NC_VA
  uint32_t tx_off;      // (k) offset of the TX ring
  uint32_t buf_off;     // (k) offset of buffer 0
  uint16_t mtu;         // (k) NC_MTU
  uint8_t  mac[6];      // (k) the interface's MAC address
  uint32_t cfggen;      // (k) bumped when setipcfg() changes ip, mask or gw: time to call getipaddr() again
  uint32_t txpay_off;   // (k) offset of the nc_txpay array
  uint32_t cache_off;   // (k) offset of the payload cache
  uint32_t cache_size;  // (k) its size in bytes; 0: no cache
  uint32_t reserved[4]; // (k) zero
};

// One ring slot. It names a buffer by index, never by address:
// the pool sits at different addresses in kernel and process.
struct nc_slot {
  uint16_t buf;    // (u,k) buffer index in the pool, < NC_NBUFS
  uint16_t len;    // (u,k) frame length in bytes, frame at offset 0 of the buffer (NCS_PAYLOAD: its headers)
  uint16_t flags;  // (u,k) NCS_* below; the process must leave unknown bits zero
};
#define NCS_REJECTED 0x0001  // (k) TX: the kernel refused to send the frame in this buffer
#define NCS_PAYLOAD  0x0002  // (u) TX: the frame goes on with the cache bytes txpay[slot] names

// A TX slot's payload reference, read only if the slot is NCS_PAYLOAD.
// The slot's buffer holds the headers (len bytes, at most 112); their
// IPv4 total length must count this payload, and the whole frame must
// fit NC_FRAMEMAX. The process writes the entry of a slot it owns.
struct nc_txpay {
  uint32_t off;       // (u) byte offset in the cache; off + len <= cache_size
  uint16_t len;       // (u) payload bytes, 1 or more
  uint16_t reserved;  // (u) must be zero
};

struct nc_ring {
  uint32_t head;          // (u) first slot the process owns; < NC_NSLOTS
  uint32_t tail;          // (k) first slot the kernel owns; < NC_NSLOTS
  uint32_t reserved[14];  // must be zero
  struct nc_slot slot[NC_NSLOTS];
};

_Static_assert(sizeof(struct nc_info) <= 0x1000, "nc_info fits its page");
_Static_assert(sizeof(struct nc_slot) == 6, "nc_slot is 6 bytes");
_Static_assert(sizeof(struct nc_ring) == 64 + 6 * NC_NSLOTS, "nc_ring layout");
_Static_assert(NC_NBUFS <= 65535, "a slot's buf names every buffer, and NC_NBUFS itself");
_Static_assert(sizeof(struct nc_ring) <= 0x1000, "a ring fits its page");
_Static_assert(sizeof(struct nc_txpay) * NC_NSLOTS == 0x1000, "txpay fills its page");

// netclaim(fd, proto, port): claim (IPv4 protocol, local port) for this
// channel, exclusively. Port 0 asks for a free ephemeral port. For ICMP
// the "port" is the echo identifier. proto | NC_RELEASE gives a claim
// back. NC_PROTO_DEFAULT makes the channel the default responder: it
// receives ARP, ICMP echo requests, and IPv4 frames no claim matches,
// and may send ICMP messages of any kind (netd holds it).
#define NC_PROTO_DEFAULT 0
#define NC_PROTO_ICMP    1
#define NC_PROTO_TCP     6
#define NC_PROTO_UDP    17
#define NC_RELEASE    0x100
#define NC_EPHEMERAL_LO 49152
#define NC_EPHEMERAL_HI 65535
#define NC_CLAIMQUOTA  1024  // claims one channel may hold at once; one more gets -EDQUOT

// The interface's IPv4 configuration, with where it came from:
// getipcfg(&cfg) reads it, setipcfg(&cfg) replaces it (any process may,
// as ifconfig always could; setipaddr(ip, mask, gw) is setipcfg with
// server 0). The kernel needs the address itself, to check every frame
// sent; server and lease are only kept for ifconfig to show, since the
// DHCP client (netd) is what renews or gives up the lease.
struct nc_ipcfg {
  uint32_t ip, mask, gw;  // (u,k) host order; mask contiguous, gw 0 or on the subnet
  uint32_t server;        // (u,k) the DHCP server that leased ip; 0: configured statically
  uint32_t lease;         // (u) lease in seconds from now; (k) seconds left.
                          // NC_LEASE_INF: no end. Must be 0 with server 0.
  uint32_t flags;         // (k) NCI_* below; setipcfg wants 0
  uint32_t reserved[2];   // must be zero
};
#define NC_LEASE_INF 0xffffffff
#define NCI_NODHCP 0x0001  // (k) booted with dhcp=0 on the command line (make DHCP=0)
_Static_assert(sizeof(struct nc_ipcfg) == 32, "nc_ipcfg layout");

// Counters, per interface (netstat(-1, ...)) and per channel
// (netstat(fd, ...)). NC_STATS lists them once; the kernel, netstat
// and the tests all expand it, so the names cannot drift apart.
#define NC_STATS(X) \
  X(rx_frames,          "frames queued for a channel (ARP: once per channel it reaches)") \
  X(rx_bytes,           "bytes of the frames rx_frames counts") \
  X(tx_frames,          "frames sent (to the device or looped back)") \
  X(tx_bytes,           "bytes sent") \
  X(tx_loopback,        "frames looped back without the device") \
  X(rx_drop_nofilter,   "received frames no filter claims, no default responder") \
  X(rx_drop_ringfull,   "received frames dropped: owner's queue full") \
  X(rx_drop_malformed,  "received frames too short or with a bad header") \
  X(rx_drop_notforus,   "received frames for another MAC or IPv4 address") \
  X(rx_drop_nomem,      "received frames dropped: no page to copy into") \
  X(rx_to_default,      "received frames given to the default responder") \
  X(rx_reject_badindex, "RX head moved backwards or past tail") \
  X(rx_reject_badbuf,   "RX slot returned with a buffer not the process's") \
  X(tx_reject_badindex, "TX head moved backwards or past tail") \
  X(tx_reject_badbuf,   "TX slot names a buffer out of range") \
  X(tx_reject_notowned, "TX buffer in flight or in a kernel RX slot") \
  X(tx_reject_badlen,   "TX length below 14 or above 1514 bytes") \
  X(tx_reject_badflags, "TX slot flags not zero") \
  X(tx_reject_srcmac,   "TX source MAC not the interface's") \
  X(tx_reject_srcip,    "TX source IPv4 address not the interface's") \
  X(tx_reject_srcport,  "TX source port or echo id not claimed") \
  X(tx_reject_proto,    "TX EtherType or protocol not allowed") \
  X(tx_reject_malformed,"TX IPv4 or ARP header malformed") \
  X(tx_reject_fragment, "TX later fragment of a datagram whose first this channel did not send") \
  X(tx_reject_fragid,   "TX first fragment reusing another channel's live IPv4 id") \
  X(tx_reject_nomem,    "TX looped back, but no page to replace the sender's") \
  X(tx_reject_nodev,    "TX with no network device") \
  X(tx_reject_nocache,  "TX NCS_PAYLOAD on a channel with no cache") \
  X(tx_reject_badpay,   "TX payload reference empty, past the cache's end, or reserved bits set") \
  X(tx_reject_splitlen, "TX split frame: IPv4 length not headers plus payload, headers over 112 bytes, or frame over 1514") \
  X(tx_reject_splithdr, "TX split frame: not UDP or TCP over IPv4, a fragment, or its checked headers past its buffer's") \
  X(copy_bytes,         "bytes the CPU copied (TX headers, ARP fan-out)") \
  X(copy_payload_bytes, "payload bytes the CPU copied (zero copy: stays 0; only a split frame looped back is copied)") \
  X(tx_split_frames,    "split frames sent: headers copied, payload read by the device from the cache") \
  X(wipe_bytes,         "bytes wiped past a frame's end, so the receiver sees only the frame: looped back, or in a page another channel had") \
  X(claim_reject_quota, "claims refused: the channel holds NC_CLAIMQUOTA already") \
  X(dev_rx_frames,      "device: frames received, before any filter (interface only)") \
  X(dev_rx_drop_runt,   "device: frames shorter than an Ethernet header (interface only)") \
  X(dev_rx_drop_badhdr, "device: frames with an offload we never asked for (interface only)") \
  X(dev_rx_nobuf,       "device: RX refills that found no free page (interface only)") \
  X(dev_rx_wipe_bytes,  "device: bytes wiped in pages of frames nobody took, before reuse (interface only)") \
  X(dev_tx_frames,      "device: frames it finished sending (interface only)") \
  X(dev_tx_full,        "device: sends that found its queue full, retried later (interface only)") \
  X(dev_intrs,          "device: interrupts taken (interface only)") \
  X(dev_rx_rescued,     "device: harvests the timer made: frames waited two ticks unannounced (interface only)") \
  X(dev_rx_fresh,       "device: RX pages not recycled from a channel, so filled first (interface only)") \
  X(dev_spins,          "device: waits that polled its rings before sleeping (interface only)") \
  X(dev_spin_hits,      "device: ...and found a frame come or a send finish, so did not sleep (interface only)") \
  X(claims_held,        "port claims held now, a gauge: rises and falls (the default responder's not counted)")

enum {
#define NC_ENUM(name, desc) NC_##name,
  NC_STATS(NC_ENUM)
#undef NC_ENUM
  NC_NSTATS
};

struct nc_stats {
  uint64_t v[NC_NSTATS];  // (k) indexed by NC_<name>
};

#endif
