// getrandom(buf, n, flags): shared by kernel (random.c) and user space.
//
// Fills buf with up to n random bytes and returns how many it wrote:
// n itself when n <= GETRANDOM_MAX, else GETRANDOM_MAX (a short count,
// as Linux's getrandom returns at most what it can; loop for more).
// n < 0 or unknown flags: -EINVAL. buf not writable: -EFAULT.
//
// The bytes come from the virtio entropy device (virtio 1.2, 5.4) when
// the machine has one. Without it (booted with make RNG=0, or a QEMU
// without -device virtio-rng-device) they come from timer jitter, and
// the kernel says so at boot: "virtio-rng: not found, getrandom falls
// back to timer jitter". That fallback is WEAK: readings of the cycle
// and time counters, mixed, whose unpredictability under an emulator
// nobody has measured. Fine for spreading ports and initial sequence
// numbers; not for keys. GRND_DEVICE refuses the fallback.
#ifndef RANDOM_H
#define RANDOM_H
#define GETRANDOM_MAX 256     // bytes per call, at most
#define GRND_NONBLOCK 0x0001  // accepted, as Linux's; it changes nothing: no call waits long
#define GRND_DEVICE   0x0100  // only from the device: -ENODEV without one (ours, not Linux's)
#endif
