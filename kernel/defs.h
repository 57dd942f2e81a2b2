// Kernel-internal prototypes, grouped by the file that defines them.
struct buf;
struct nc_stats;
struct context;
struct file;
struct inode;
struct pipe;
struct proc;
struct spinlock;
struct sleeplock;
struct stat;
struct superblock;
struct statfs;
struct pollfd;
struct netchan;

// bio.c
void            binit(void);
struct buf*     bread(uint, uint);
struct buf*     bfresh(uint, uint);
void            brelse(struct buf*);
void            bwrite(struct buf*);
void            bpin(struct buf*);
void            bunpin(struct buf*);

// console.c
void            consoleinit(void);
void            consoleintr(int);
void            consputc(int);

// exec.c
int             kexec(char*, char**);

// file.c
struct file*    filealloc(void);
void            fileclose(struct file*);
struct file*    filedup(struct file*);
void            fileinit(void);
int             fileread(struct file*, uint64, int n);
int             filestat(struct file*, uint64 addr);
int             filewrite(struct file*, uint64, int n);
int             filepoll(struct file*, int events);
long            filelseek(struct file*, long off, int whence);

// fs.c
void            fsinit(int);
int             dirlink(struct inode*, char*, uint);
struct inode*   dirlookup(struct inode*, char*, uint*);
struct inode*   ialloc(uint, short);
struct inode*   idup(struct inode*);
void            iinit(void);
void            ilock(struct inode*);
void            iput(struct inode*);
void            iunlock(struct inode*);
void            iunlockput(struct inode*);
void            iupdate(struct inode*);
int             namecmp(const char*, const char*);
struct inode*   namei(char*);
struct inode*   nameiparent(char*, char*);
struct inode*   namelookup(char*, int, char*, int*);
int             readi(struct inode*, int, uint64, uint, uint);
void            stati(struct inode*, struct stat*);
int             writei(struct inode*, int, uint64, uint, uint);
void            itrunc(struct inode*);
void            fsstatfs(struct statfs*);
uint64          fsgen(void);

// kalloc.c
#define KJUNK 5   // what kalloc() fills a page with: no trace of its last owner
void*           kalloc(void);
void*           kalloc_filled(void);
int             kalloc_idle(void);
void*           kalloc_rx(int *fresh);
void            kfree_rx(void *, uint32);
uint32          pagetag(void *);
void            pagetag_set(void *, uint32);
#define PAGE_CLEAN 0   // pagetag: filled with junk, no one's data
void            kfree(void *);
void            kinit(void);
int             kfreecount(void);

// log.c
void            initlog(int, struct superblock*);
void            log_write(struct buf*);
void            begin_op(void);
void            end_op(void);

// pipe.c
int             pipealloc(struct file**, struct file**);
void            pipeclose(struct pipe*, int);
int             piperead(struct pipe*, uint64, int);
int             pipewrite(struct pipe*, uint64, int);
int             pipepoll(struct pipe*, int writable, int events);

// poll.c
void            pollinit(void);
void            pollwakeup(void);
int             kpoll(uint64 ufds, int nfds, int timeout_ms);
uint64          pollsnap(void);
int             pollsleep(uint64 seq, uint64 until);

// printf.c
int             printf(char*, ...) __attribute__ ((format (printf, 1, 2)));
void            panic(char*) __attribute__((noreturn));
void            printfinit(void);

// proc.c
int             cpuid(void);
void            kexit(int);
int             kfork(void);
int             growproc(int);
void            proc_mapstacks(pagetable_t);
pagetable_t     proc_pagetable(struct proc *);
void            proc_freepagetable(pagetable_t, uint64);
int             kkill(int);
int             killed(struct proc*);
void            setkilled(struct proc*);
struct cpu*     mycpu(void);
struct proc*    myproc();
void            procinit(void);
void            scheduler(void) __attribute__((noreturn));
void            sched(void);
void            sleep(void*, struct spinlock*);
void            sleepintr(void*, struct spinlock*);
void            userinit(void);
int             kwait(uint64);
void            wakeup(void*);
void            yield(void);
int             either_copyout(int user_dst, uint64 dst, void *src, uint64 len);
int             either_copyin(void *dst, int user_src, uint64 src, uint64 len);
void            procdump(void);
int             procinfo(uint64 addr, int n);
void            ptchanged(void);
void            loadpt(pagetable_t pt, uint64 gen);

// swtch.S
void            swtch(struct context*, struct context*);

// spinlock.c
void            acquire(struct spinlock*);
int             holding(struct spinlock*);
void            initlock(struct spinlock*, char*);
void            release(struct spinlock*);
void            push_off(void);
void            pop_off(void);
void            pop_off_on(void);

// sleeplock.c
void            acquiresleep(struct sleeplock*);
void            releasesleep(struct sleeplock*);
int             holdingsleep(struct sleeplock*);
void            initsleeplock(struct sleeplock*, char*);

// string.c
int             memcmp(const void*, const void*, uint);
void*           memmove(void*, const void*, uint);
void*           memset(void*, int, uint);
void*           memcpy(void*, const void*, uint);
char*           safestrcpy(char*, const char*, int);
int             strlen(const char*);
int             strncmp(const char*, const char*, uint);
char*           strncpy(char*, const char*, int);

// syscall.c
void            argint(int, int*);
int             argstr(int, char*, int);
void            argaddr(int, uint64 *);
int             fetchstr(uint64, char*, int);
int             fetchaddr(uint64, uint64*);
void            syscall();

// timer (trap.c)
extern volatile uint64 ticks;      // timer ticks since boot (HZ per second)
extern struct spinlock tickslock;
extern volatile uint64 wakeups;    // processes made runnable (proc.c)
int             othersrunnable(void);
uint64          clock_us(void);    // monotonic microseconds since boot
void            timer_deadline(uint64 tick); // wake sleepers on &ticks and pollers at tick

// trap.c
void            trapinit(void);
void            trapinithart(void);
void            usertrapret(void);

// uart.c
void            uartinit(void);
void            uartintr(void);
void            uartputc(int);
void            uartputc_sync(int);
int             uartgetc(void);

// vm.c
void            kvminit(void);
void            kvminithart(void);
void            kvmshare(pagetable_t);
void            kvmunshare(pagetable_t);
int             kvmisshared(int l2index);
void            uvmfreekeeproot(pagetable_t, uint64);
void            kvmmap(pagetable_t, uint64, uint64, uint64, int);
int             mappages(pagetable_t, uint64, uint64, uint64, int);
pagetable_t     uvmcreate(void);
uint64          uvmalloc(pagetable_t, uint64, uint64, int);
uint64          uvmdealloc(pagetable_t, uint64, uint64);
int             uvmcopy(pagetable_t, pagetable_t, uint64);
void            uvmfree(pagetable_t, uint64);
void            uvmunmap(pagetable_t, uint64, uint64, int);
pte_t *         walk(pagetable_t, uint64, int);
uint64          walkaddr(pagetable_t, uint64);
int             copyout(pagetable_t, uint64, char *, uint64);
int             copyin(pagetable_t, char *, uint64, uint64);
int             copyinstr(pagetable_t, char *, uint64, uint64);

// plic.c
void            plicinit(void);
void            plicinithart(void);
int             plic_claim(void);
void            plic_complete(int);

// virtio_disk.c
void            virtio_disk_init(void);
void            virtio_disk_rw(struct buf *, int);
void            virtio_disk_intr(void);
void            virtio_disk_crashafter(int n);

// virtio_net.c
void            virtio_net_init(void);
int             virtio_net_up(void);
void            virtio_net_mac(uint8 mac[6]);
void            virtio_net_intr(void);
void            virtio_net_tick(void);
int             virtio_net_tx(void *hdr, int hdrlen, uint64 paypa, int paylen, uint64 cookie);
int             virtio_net_txv(void *hdr, int hdrlen, uint64 *pa, int *len, uint64 cookie);
void            virtio_net_txkick(void);
int             virtio_net_txarm(void);
int             virtio_net_txroom(void);
int             virtio_net_txreap(void);
int             virtio_net_spin(int us, int tx);
void            virtio_net_quiet(void);
int             virtio_net_rxpoll(void);
int             virtio_net_loud(void);
void            virtio_net_stats(struct nc_stats *st);

// virtio_rng.c
void            virtio_rng_init(void);
int             virtio_rng_present(void);
int             virtio_rng_read(uint8 *dst, int n);
void            virtio_rng_intr(void);

// random.c
void            random_init(void);

// prof.c
void            profinit(void);
void            profsample(uint64, int);
void            profcount(int);
void            profcountn(int, uint64);
int             random_read(uint8 *dst, int n, int flags);

// power.c (the virt machine's sifive_test device)
void            poweroff(int code) __attribute__((noreturn));

// sysfile.c
int             fdalloc(struct file*);

// netchan.c
void            netchan_init(void);
void            netchan_fileclose(struct netchan*, uint gen);
int             netchan_poll(struct netchan*, uint gen, int events);
int             netchan_fault(uint64 va);
void            netchan_release(struct proc*);
void            netchan_txdone(uint64 *cookie, uint64 (*pa)[3], int n);
void            netchan_timeout(void);

// bootargs.c
extern uint64   bootdtb;
void            bootargs_init(void);
int             bootarg(const char *opt);

// netfilt.c
void            netfilt_init(void);
int             netfilt_rx(char *page, int len);
void            netfilt_rxbad(void);

// number of elements in fixed-size array
#define NELEM(x) (sizeof(x)/sizeof((x)[0]))
