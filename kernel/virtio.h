// Virtio over MMIO: register offsets, status and feature bits, and the
// split-virtqueue structures, from the virtio 1.2 specification
// (section numbers below; 1.1 numbers them the same).
// Modern (version 2) devices only: QEMU runs with
// -global virtio-mmio.force-legacy=false, so there is no legacy
// QueuePFN/GuestPageSize interface here.
// Shared by the disk driver (virtio_disk.c), the network driver and the
// entropy driver (virtio_rng.c).
// All fields are little-endian on the device side, which is also the
// byte order of riscv64, so no swapping is done.

// 4.2.2 MMIO Device Register Layout: offsets from the slot's base.
#define VIRTIO_MMIO_MAGIC_VALUE         0x000 // "virt", 0x74726976
#define VIRTIO_MMIO_VERSION             0x004 // 2 for modern devices
#define VIRTIO_MMIO_DEVICE_ID           0x008 // VIRTIO_ID_* below; 0 = empty slot
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010 // 32 feature bits, selected by ..._SEL
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014 // 0: bits 0-31, 1: bits 32-63
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030 // which queue the QUEUE_* registers mean
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034 // largest size the device supports
#define VIRTIO_MMIO_QUEUE_NUM           0x038 // size the driver chose
#define VIRTIO_MMIO_QUEUE_READY         0x044 // write 1 once the rings are set up
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050 // write a queue index: "new buffers"
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070 // VIRTIO_STATUS_* below; write 0 to reset
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080 // physical address of the descriptor table
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090 // physical address of the available ring
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0 // physical address of the used ring
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100 // device-specific configuration space

#define VIRTIO_MMIO_MAGIC 0x74726976

// 4.2.2: bits of INTERRUPT_STATUS / INTERRUPT_ACK.
#define VIRTIO_MMIO_INT_VRING  1  // a used ring was updated
#define VIRTIO_MMIO_INT_CONFIG 2  // the configuration changed

// 5 Device Types: device ids.
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLK 2
#define VIRTIO_ID_RNG 4   // 5.4 entropy device

// 2.1 Device Status Field.
#define VIRTIO_STATUS_ACKNOWLEDGE        1   // we noticed the device
#define VIRTIO_STATUS_DRIVER             2   // we know how to drive it
#define VIRTIO_STATUS_DRIVER_OK          4   // driver is ready
#define VIRTIO_STATUS_FEATURES_OK        8   // feature negotiation is done
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64  // device gave up; must reset
#define VIRTIO_STATUS_FAILED             128 // driver gave up

// 6 Reserved Feature Bits (generic, any device type). Bit numbers:
// bits 32 and up are read with FEATURES_SEL = 1 as bit (n - 32).
#define VIRTIO_F_RING_INDIRECT_DESC 28  // 2.7.5.3 indirect descriptors
#define VIRTIO_F_RING_EVENT_IDX     29  // 2.7.7/2.7.10 used_event/avail_event
#define VIRTIO_F_VERSION_1          32  // modern device; required here
#define VIRTIO_F_ACCESS_PLATFORM    33
#define VIRTIO_F_RING_PACKED        34
#define VIRTIO_F_IN_ORDER           35
#define VIRTIO_F_ORDER_PLATFORM     36
#define VIRTIO_F_NOTIFICATION_DATA  38

// 5.2.3 Block device feature bits (not negotiated by virtio_disk.c).
#define VIRTIO_BLK_F_SIZE_MAX   1
#define VIRTIO_BLK_F_SEG_MAX    2
#define VIRTIO_BLK_F_GEOMETRY   4
#define VIRTIO_BLK_F_RO         5   // read-only device
#define VIRTIO_BLK_F_BLK_SIZE   6
#define VIRTIO_BLK_F_FLUSH      9
#define VIRTIO_BLK_F_TOPOLOGY   10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ         12
#define VIRTIO_BLK_F_DISCARD    13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

// 5.1.3 Network device feature bits.
#define VIRTIO_NET_F_CSUM       0   // device checksums partial TX packets
#define VIRTIO_NET_F_GUEST_CSUM 1   // driver handles partial RX checksums
#define VIRTIO_NET_F_MAC        5   // config space holds a MAC address
#define VIRTIO_NET_F_MRG_RXBUF  15  // RX packets may span buffers
#define VIRTIO_NET_F_STATUS     16  // config space holds link status
#define VIRTIO_NET_F_CTRL_VQ    17  // control virtqueue

// 2.7.5 The Virtqueue Descriptor Table. Alignment 16 (2.7.2).
struct virtq_desc {
  uint64 addr;   // guest-physical address of the buffer
  uint32 len;    // buffer length in bytes
  uint16 flags;  // VIRTQ_DESC_F_* below
  uint16 next;   // index of the next descriptor if VIRTQ_DESC_F_NEXT
};
#define VIRTQ_DESC_F_NEXT     1 // chained with the descriptor in next
#define VIRTQ_DESC_F_WRITE    2 // device writes (otherwise reads) the buffer
#define VIRTQ_DESC_F_INDIRECT 4 // buffer holds a table of descriptors

// 2.7.6 The Virtqueue Available Ring: the driver writes, the device
// reads. Alignment 2. ring[] holds queue-size entries; with
// VIRTIO_F_RING_EVENT_IDX a uint16 used_event follows them.
struct virtq_avail {
  uint16 flags;   // VIRTQ_AVAIL_F_NO_INTERRUPT
  uint16 idx;     // where the driver puts the next entry, mod queue size
  uint16 ring[];  // heads of descriptor chains
};
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

// 2.7.8 The Virtqueue Used Ring: the device writes, the driver reads.
// Alignment 4. With VIRTIO_F_RING_EVENT_IDX a uint16 avail_event
// follows ring[].
struct virtq_used_elem {
  uint32 id;   // head of the finished descriptor chain
  uint32 len;  // bytes the device wrote into the chain
};

struct virtq_used {
  uint16 flags;                  // VIRTQ_USED_F_NO_NOTIFY
  uint16 idx;                    // where the device puts the next entry
  struct virtq_used_elem ring[];
};
#define VIRTQ_USED_F_NO_NOTIFY 1

// 5.2.6 Block device requests. A request is a chain of three
// descriptors: this header (device-readable), the data, and one
// status byte the device writes. Sectors are always 512 bytes.
#define VIRTIO_BLK_SECTOR_SIZE 512
#define VIRTIO_BLK_T_IN     0   // read
#define VIRTIO_BLK_T_OUT    1   // write
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

struct virtio_blk_req {
  uint32 type;      // VIRTIO_BLK_T_*
  uint32 reserved;
  uint64 sector;    // first 512-byte sector
};

// 5.2.4 Block device configuration layout: the capacity, in 512-byte
// sectors, is the first field at VIRTIO_MMIO_CONFIG.
#define VIRTIO_BLK_CONFIG_CAPACITY 0x00

// 5.1.6 Network device: every packet, TX and RX, starts with this
// header. With VIRTIO_F_VERSION_1 it is always 12 bytes, num_buffers
// included (5.1.6.1).
struct virtio_net_hdr {
  uint8 flags;
  uint8 gso_type;
  uint16 hdr_len;
  uint16 gso_size;
  uint16 csum_start;
  uint16 csum_offset;
  uint16 num_buffers;
};
#define VIRTIO_NET_HDR_GSO_NONE 0
