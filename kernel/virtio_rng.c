// Driver for the virtio entropy device in virtio-mmio slot 2 (virtio 1.2
// section 5.4, with 2.7 split virtqueues and 4.2 mmio as in virtio.h).
// One queue, requestq; the driver hands the device a buffer it may
// write, and the device fills some or all of it with random bytes
// (5.4.6). One request at a time: getrandom() asks for at most
// GETRANDOM_MAX bytes, and QEMU answers at once.
// Does not do: feature bits (5.4.3 defines none), several buffers in
// flight, or a pool of bytes kept for later (each caller gets bytes
// nobody else saw, then the kernel's copy is wiped).
// The slot may be empty (make RNG=0): random.c then falls back on
// timer jitter.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "errno.h"
#include "virtio.h"
#include "random.h"
#include "defs.h"

// the address of virtio mmio register r.
#define R(r) ((volatile uint32 *)(VIRTIO2 + (r)))

// Descriptors in the queue: a power of two (2.7); one request uses one.
#define NUM 4

static struct rng {
  // The three parts of the split virtqueue (2.7), one page each.
  struct virtq_desc *desc;   // NUM descriptors; only 0 is used
  struct virtq_avail *avail; // buffers we hand to the device
  struct virtq_used *used;   // buffers the device filled
  uint16 used_idx;           // how far we have read the used ring

  int present;               // device found and DRIVER_OK set
  int busy;                  // a request is with the device (or being copied out)
  int done;                  // the device gave the buffer back
  uint32 got;                // bytes it wrote, from the used ring's len
  uint8 buf[GETRANDOM_MAX];  // the device writes here

  uint64 requests;           // requests made
  uint64 bytes;              // bytes the device gave

  struct spinlock lock;
} rng;

// Give up on the device (3.1.1: set FAILED); getrandom falls back.
static void
init_fail(char *why)
{
  *R(VIRTIO_MMIO_STATUS) = *R(VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FAILED;
  printf("virtio-rng: %s; getrandom falls back to timer jitter\n", why);
}

// Set up queue 0 as in 4.2.3.2. Returns 0, or -1 if it is unusable.
static int
vq_init(void)
{
  *R(VIRTIO_MMIO_QUEUE_SEL) = 0;
  if(*R(VIRTIO_MMIO_QUEUE_READY) || *R(VIRTIO_MMIO_QUEUE_NUM_MAX) < NUM)
    return -1;
  rng.desc = kalloc();
  rng.avail = kalloc();
  rng.used = kalloc();
  if(!rng.desc || !rng.avail || !rng.used)
    panic("virtio rng: out of memory for rings");
  memset(rng.desc, 0, PGSIZE);
  memset(rng.avail, 0, PGSIZE);
  memset(rng.used, 0, PGSIZE);
  *R(VIRTIO_MMIO_QUEUE_NUM) = NUM;
  *R(VIRTIO_MMIO_QUEUE_DESC_LOW) = (uint64)rng.desc;
  *R(VIRTIO_MMIO_QUEUE_DESC_HIGH) = (uint64)rng.desc >> 32;
  *R(VIRTIO_MMIO_QUEUE_DRIVER_LOW) = (uint64)rng.avail;
  *R(VIRTIO_MMIO_QUEUE_DRIVER_HIGH) = (uint64)rng.avail >> 32;
  *R(VIRTIO_MMIO_QUEUE_DEVICE_LOW) = (uint64)rng.used;
  *R(VIRTIO_MMIO_QUEUE_DEVICE_HIGH) = (uint64)rng.used >> 32;
  *R(VIRTIO_MMIO_QUEUE_READY) = 1;
  return 0;
}

// Bring the device up following 3.1.1 Driver Requirements: Device
// Initialization. An empty slot is not an error: say so in one line.
void
virtio_rng_init(void)
{
  uint32 status = 0;
  uint64 features;

  initlock(&rng.lock, "virtio_rng");

  if(*R(VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC ||
     *R(VIRTIO_MMIO_VERSION) != 2 ||
     *R(VIRTIO_MMIO_DEVICE_ID) != VIRTIO_ID_RNG){
    printf("virtio-rng: not found, getrandom falls back to timer jitter\n");
    return;
  }

  // 1. reset the device.
  *R(VIRTIO_MMIO_STATUS) = status;
  // 2. we have noticed it; 3. we know how to drive it.
  status |= VIRTIO_STATUS_ACKNOWLEDGE;
  *R(VIRTIO_MMIO_STATUS) = status;
  status |= VIRTIO_STATUS_DRIVER;
  *R(VIRTIO_MMIO_STATUS) = status;

  // 4. accept VERSION_1 alone: 5.4.3, the entropy device has no
  // feature bits of its own.
  *R(VIRTIO_MMIO_DEVICE_FEATURES_SEL) = 1;
  features = (uint64)*R(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
  if(!((features >> VIRTIO_F_VERSION_1) & 1)){
    init_fail("device does not offer VIRTIO_F_VERSION_1");
    return;
  }
  *R(VIRTIO_MMIO_DRIVER_FEATURES_SEL) = 0;
  *R(VIRTIO_MMIO_DRIVER_FEATURES) = 0;
  *R(VIRTIO_MMIO_DRIVER_FEATURES_SEL) = 1;
  *R(VIRTIO_MMIO_DRIVER_FEATURES) = 1 << (VIRTIO_F_VERSION_1 - 32);

  // 5. features are final; 6. the device must agree.
  status |= VIRTIO_STATUS_FEATURES_OK;
  *R(VIRTIO_MMIO_STATUS) = status;
  if(!(*R(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)){
    init_fail("device refused our features");
    return;
  }

  // 7. device-specific setup: 5.4.2, requestq is queue 0.
  if(vq_init() < 0){
    init_fail("queue 0 missing, in use or too short");
    return;
  }

  // 8. the driver is live.
  status |= VIRTIO_STATUS_DRIVER_OK;
  *R(VIRTIO_MMIO_STATUS) = status;
  rng.present = 1;

  // plic.c and trap.c route interrupt VIRTIO2_IRQ to virtio_rng_intr().
}

int
virtio_rng_present(void)
{
  return rng.present;
}

// Fill dst with up to n (<= GETRANDOM_MAX) bytes from the device,
// sleeping until it answers. Returns how many it gave (at least 1), or
// -ENODEV without a device. Process context; takes rng.lock.
int
virtio_rng_read(uint8 *dst, int n)
{
  int got;

  if(!rng.present)
    return -ENODEV;
  if(n <= 0 || n > GETRANDOM_MAX)
    panic("virtio_rng_read");

  acquire(&rng.lock);
  // one request at a time. Not interruptible: the device answers at once.
  while(rng.busy)
    sleep(&rng.busy, &rng.lock);
  rng.busy = 1;
  rng.done = 0;

  // 5.4.6 Device Operation: a device-writable buffer, which the device
  // fills with random bytes.
  rng.desc[0].addr = (uint64)rng.buf;
  rng.desc[0].len = n;
  rng.desc[0].flags = VIRTQ_DESC_F_WRITE;
  rng.desc[0].next = 0;

  // 2.7.13: the ring entry, then (after a barrier) idx.
  rng.avail->ring[rng.avail->idx % NUM] = 0;
  __sync_synchronize();
  rng.avail->idx += 1;
  __sync_synchronize();
  // 4.2.3.3: tell the device queue 0 has a new buffer.
  *R(VIRTIO_MMIO_QUEUE_NOTIFY) = 0;
  rng.requests++;

  while(!rng.done)
    sleep(&rng, &rng.lock);

  // 5.4.6.1: the device may write fewer bytes than asked, never more.
  got = rng.got < n ? rng.got : n;
  memmove(dst, rng.buf, got);
  memset(rng.buf, 0, sizeof(rng.buf));   // nobody else gets these
  rng.bytes += got;
  rng.busy = 0;
  wakeup(&rng.busy);
  release(&rng.lock);
  return got;
}

// Interrupt handler: harvest the used ring and wake the requester.
void
virtio_rng_intr(void)
{
  uint32 id;

  if(!rng.present)
    return;
  acquire(&rng.lock);
  // 4.2.2: acknowledge before reading the ring (see virtio_disk_intr).
  *R(VIRTIO_MMIO_INTERRUPT_ACK) = *R(VIRTIO_MMIO_INTERRUPT_STATUS) & 0x3;
  __sync_synchronize();
  while(rng.used_idx != rng.used->idx){
    __sync_synchronize();
    id = rng.used->ring[rng.used_idx % NUM].id;
    if(id != 0 || !rng.busy)
      panic("virtio_rng_intr: bad used id");
    rng.got = rng.used->ring[rng.used_idx % NUM].len;
    rng.done = 1;
    rng.used_idx += 1;
    wakeup(&rng);
  }
  release(&rng.lock);
}
