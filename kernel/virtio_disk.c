// Driver for the virtio block device in virtio-mmio slot 0 (the file
// system disk). One request queue of NUM descriptors; each request is
// a three-descriptor chain (header, data, status) and the caller sleeps
// until the interrupt handler sees it in the used ring.
// Does not do: flush, discard, multiple queues, or indirect descriptors.
// Also holds the crash injector the log-recovery test uses.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "fs.h"
#include "buf.h"
#include "virtio.h"
#include "defs.h"

// the address of virtio mmio register r.
#define R(r) ((volatile uint32 *)(VIRTIO0 + (r)))

// Descriptors in the queue; a power of two (2.7 split virtqueues) and
// no bigger than QUEUE_NUM_MAX. Each request takes three.
#define NUM 8

static struct disk {
  // The three parts of the split virtqueue (2.7), one page each, so
  // each is aligned far beyond what 2.7.2 asks for.
  struct virtq_desc *desc;   // NUM descriptors: the buffers of each request
  struct virtq_avail *avail; // ring of chain heads we hand to the device
  struct virtq_used *used;   // ring of chain heads the device hands back

  char free[NUM];            // is descriptor i free?
  uint16 used_idx;           // how far we have read the used ring

  // Per chain head: the buffer being transferred, for the interrupt
  // handler to wake, and the status byte the device writes.
  struct {
    struct buf *b;
    char status;
  } info[NUM];

  // Request headers, one per chain head, kept here so that the device
  // can read them while the caller sleeps.
  struct virtio_blk_req ops[NUM];

  int inflight;              // requests handed to the device, not yet done
  int crashleft;             // writes still allowed before the crash; -1 disarmed

  struct spinlock vdisk_lock;
} disk;

// Does a 64-bit feature word have bit set? (6: bits 0-63, read from the
// device 32 at a time.)
static int
feature_has(uint64 features, int bit)
{
  return (features >> bit) & 1;
}

// Bring the device up following 3.1.1 Driver Requirements: Device
// Initialization, then set up queue 0 as in 4.2.3.2.
void
virtio_disk_init(void)
{
  uint32 status = 0;
  uint64 features;
  uint32 max;

  initlock(&disk.vdisk_lock, "virtio_disk");
  disk.crashleft = -1;

  if(*R(VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC)
    panic("virtio disk: no virtio-mmio device at VIRTIO0");
  if(*R(VIRTIO_MMIO_VERSION) != 2)
    panic("virtio disk: not a modern (version 2) device; run qemu with -global virtio-mmio.force-legacy=false");
  if(*R(VIRTIO_MMIO_DEVICE_ID) != VIRTIO_ID_BLK)
    panic("virtio disk: slot 0 holds no block device (is -drive missing?)");

  // 1. reset the device.
  *R(VIRTIO_MMIO_STATUS) = status;
  // 2. we have noticed it; 3. we know how to drive it.
  status |= VIRTIO_STATUS_ACKNOWLEDGE;
  *R(VIRTIO_MMIO_STATUS) = status;
  status |= VIRTIO_STATUS_DRIVER;
  *R(VIRTIO_MMIO_STATUS) = status;

  // 4. read the device's features and accept only VERSION_1: no
  // read-only disks, no event index, no indirect descriptors.
  *R(VIRTIO_MMIO_DEVICE_FEATURES_SEL) = 0;
  features = *R(VIRTIO_MMIO_DEVICE_FEATURES);
  *R(VIRTIO_MMIO_DEVICE_FEATURES_SEL) = 1;
  features |= (uint64)*R(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
  if(!feature_has(features, VIRTIO_F_VERSION_1))
    panic("virtio disk: device does not offer VIRTIO_F_VERSION_1");
  if(feature_has(features, VIRTIO_BLK_F_RO))
    panic("virtio disk: disk is read-only");
  *R(VIRTIO_MMIO_DRIVER_FEATURES_SEL) = 0;
  *R(VIRTIO_MMIO_DRIVER_FEATURES) = 0;
  *R(VIRTIO_MMIO_DRIVER_FEATURES_SEL) = 1;
  *R(VIRTIO_MMIO_DRIVER_FEATURES) = 1 << (VIRTIO_F_VERSION_1 - 32);

  // 5. features are final; 6. the device must agree (it clears the bit
  // if it cannot work with what we accepted).
  status |= VIRTIO_STATUS_FEATURES_OK;
  *R(VIRTIO_MMIO_STATUS) = status;
  if(!(*R(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
    panic("virtio disk: device refused our features (FEATURES_OK not set)");

  // 7. device-specific setup: queue 0, 4.2.3.2 Virtqueue Configuration.
  *R(VIRTIO_MMIO_QUEUE_SEL) = 0;
  if(*R(VIRTIO_MMIO_QUEUE_READY))
    panic("virtio disk: queue 0 already in use");
  max = *R(VIRTIO_MMIO_QUEUE_NUM_MAX);
  if(max == 0)
    panic("virtio disk: queue 0 missing");
  if(max < NUM)
    panic("virtio disk: queue 0 too short");

  disk.desc = kalloc();
  disk.avail = kalloc();
  disk.used = kalloc();
  if(!disk.desc || !disk.avail || !disk.used)
    panic("virtio disk: out of memory for rings");
  memset(disk.desc, 0, PGSIZE);
  memset(disk.avail, 0, PGSIZE);
  memset(disk.used, 0, PGSIZE);

  *R(VIRTIO_MMIO_QUEUE_NUM) = NUM;
  *R(VIRTIO_MMIO_QUEUE_DESC_LOW) = (uint64)disk.desc;
  *R(VIRTIO_MMIO_QUEUE_DESC_HIGH) = (uint64)disk.desc >> 32;
  *R(VIRTIO_MMIO_QUEUE_DRIVER_LOW) = (uint64)disk.avail;
  *R(VIRTIO_MMIO_QUEUE_DRIVER_HIGH) = (uint64)disk.avail >> 32;
  *R(VIRTIO_MMIO_QUEUE_DEVICE_LOW) = (uint64)disk.used;
  *R(VIRTIO_MMIO_QUEUE_DEVICE_HIGH) = (uint64)disk.used >> 32;
  *R(VIRTIO_MMIO_QUEUE_READY) = 1;

  for(int i = 0; i < NUM; i++)
    disk.free[i] = 1;

  // 8. the driver is live.
  status |= VIRTIO_STATUS_DRIVER_OK;
  *R(VIRTIO_MMIO_STATUS) = status;

  // plic.c and trap.c route interrupt VIRTIO0_IRQ to virtio_disk_intr().
}

// Take a free descriptor; -1 if none. Caller holds vdisk_lock.
static int
alloc_desc(void)
{
  for(int i = 0; i < NUM; i++){
    if(disk.free[i]){
      disk.free[i] = 0;
      return i;
    }
  }
  return -1;
}

// Return descriptor i to the free set. Caller holds vdisk_lock.
static void
free_desc(int i)
{
  if(i >= NUM)
    panic("free_desc 1");
  if(disk.free[i])
    panic("free_desc 2");
  disk.desc[i].addr = 0;
  disk.desc[i].len = 0;
  disk.desc[i].flags = 0;
  disk.desc[i].next = 0;
  disk.free[i] = 1;
  wakeup(&disk.free[0]);
}

// Free the chain that starts at descriptor i.
static void
free_chain(int i)
{
  for(;;){
    int flag = disk.desc[i].flags;
    int nxt = disk.desc[i].next;
    free_desc(i);
    if(!(flag & VIRTQ_DESC_F_NEXT))
      break;
    i = nxt;
  }
}

// Take three descriptors, all or none. Returns 0, or -1 if there are
// not three free.
static int
alloc3_desc(int *idx)
{
  for(int i = 0; i < 3; i++){
    idx[i] = alloc_desc();
    if(idx[i] < 0){
      for(int j = 0; j < i; j++)
        free_desc(idx[j]);
      return -1;
    }
  }
  return 0;
}

// The injected power failure: let requests already handed to the
// device finish (they "completed" before the power went), then stop the
// machine. Caller holds vdisk_lock.
static void
crash(void)
{
  while(disk.inflight > 0)
    sleep(&disk.inflight, &disk.vdisk_lock);
  printf("virtio disk: injected crash, powering off\n");
  poweroff(0);
}

// Read (write == 0) or write block b->blockno, sleeping until the
// device is done. Caller holds b->lock.
void
virtio_disk_rw(struct buf *b, int write)
{
  uint64 sector = b->blockno * (BSIZE / VIRTIO_BLK_SECTOR_SIZE);
  int idx[3];

  acquire(&disk.vdisk_lock);

  if(write && disk.crashleft >= 0){
    if(disk.crashleft == 0)
      crash();
    disk.crashleft--;
  }

  // 5.2.6.2: the request header, the data and the status byte each get
  // a descriptor.
  while(alloc3_desc(idx) != 0)
    sleep(&disk.free[0], &disk.vdisk_lock);

  struct virtio_blk_req *req = &disk.ops[idx[0]];
  req->type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
  req->reserved = 0;
  req->sector = sector;

  disk.desc[idx[0]].addr = (uint64)req;
  disk.desc[idx[0]].len = sizeof(struct virtio_blk_req);
  disk.desc[idx[0]].flags = VIRTQ_DESC_F_NEXT;
  disk.desc[idx[0]].next = idx[1];

  disk.desc[idx[1]].addr = (uint64)b->data;
  disk.desc[idx[1]].len = BSIZE;
  // the device writes the buffer on a read, reads it on a write.
  disk.desc[idx[1]].flags = (write ? 0 : VIRTQ_DESC_F_WRITE) | VIRTQ_DESC_F_NEXT;
  disk.desc[idx[1]].next = idx[2];

  // the device overwrites status; anything else left here means failure.
  disk.info[idx[0]].status = 0xff;
  disk.desc[idx[2]].addr = (uint64)&disk.info[idx[0]].status;
  disk.desc[idx[2]].len = 1;
  disk.desc[idx[2]].flags = VIRTQ_DESC_F_WRITE;
  disk.desc[idx[2]].next = 0;

  b->disk = 1;
  disk.info[idx[0]].b = b;
  disk.inflight++;

  // 2.7.13 Supplying Buffers to the Device: the ring entry first, then
  // (after a barrier) idx, so the device never sees idx ahead of the
  // entry it covers.
  disk.avail->ring[disk.avail->idx % NUM] = idx[0];
  __sync_synchronize();
  disk.avail->idx += 1;
  __sync_synchronize();

  // 4.2.3.3: tell the device queue 0 has new buffers.
  *R(VIRTIO_MMIO_QUEUE_NOTIFY) = 0;

  while(b->disk == 1)
    sleep(b, &disk.vdisk_lock);

  if(disk.info[idx[0]].status != VIRTIO_BLK_S_OK)
    panic("virtio disk: request failed");

  disk.info[idx[0]].b = 0;
  free_chain(idx[0]);

  release(&disk.vdisk_lock);
}

// Interrupt handler: harvest the used ring and wake the sleepers.
void
virtio_disk_intr(void)
{
  acquire(&disk.vdisk_lock);

  // 4.2.2: acknowledge before reading the ring, so that a completion
  // arriving while we read raises a fresh interrupt rather than being
  // lost.
  *R(VIRTIO_MMIO_INTERRUPT_ACK) = *R(VIRTIO_MMIO_INTERRUPT_STATUS) & 0x3;

  __sync_synchronize();

  // the device advances used->idx after writing each entry (2.7.8).
  while(disk.used_idx != disk.used->idx){
    __sync_synchronize();
    int id = disk.used->ring[disk.used_idx % NUM].id;

    if(id >= NUM || disk.info[id].b == 0)
      panic("virtio_disk_intr: bad used id");
    disk.info[id].b->disk = 0;  // the disk is done with the buffer
    wakeup(disk.info[id].b);
    if(--disk.inflight == 0)
      wakeup(&disk.inflight);

    disk.used_idx += 1;
  }

  release(&disk.vdisk_lock);
}

// Crash injection for the recovery test: after n more disk writes, the
// next write is not issued and the machine powers off instead, as if
// the power failed in the middle of a file-system operation.
// n < 0 disarms.
void
virtio_disk_crashafter(int n)
{
  acquire(&disk.vdisk_lock);
  disk.crashleft = n < 0 ? -1 : n;
  release(&disk.vdisk_lock);
}
