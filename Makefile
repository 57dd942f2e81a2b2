# riscv64 exokernel teaching OS. See README.md.
K=kernel
A=apps
L=libnet
M=mkfs
B=build

TOOLPREFIX = riscv64-unknown-elf-
CC = $(TOOLPREFIX)gcc
AS = $(TOOLPREFIX)gas
LD = $(TOOLPREFIX)ld
OBJCOPY = $(TOOLPREFIX)objcopy
OBJDUMP = $(TOOLPREFIX)objdump
QEMU = qemu-system-riscv64
PY = /usr/bin/python3

KOBJS = \
  $B/$K/entry.o \
  $B/$K/start.o \
  $B/$K/main.o \
  $B/$K/console.o \
  $B/$K/printf.o \
  $B/$K/uart.o \
  $B/$K/power.o \
  $B/$K/kalloc.o \
  $B/$K/spinlock.o \
  $B/$K/sleeplock.o \
  $B/$K/string.o \
  $B/$K/vm.o \
  $B/$K/proc.o \
  $B/$K/swtch.o \
  $B/$K/trampoline.o \
  $B/$K/trap.o \
  $B/$K/syscall.o \
  $B/$K/sysproc.o \
  $B/$K/poll.o \
  $B/$K/bio.o \
  $B/$K/fs.o \
  $B/$K/log.o \
  $B/$K/file.o \
  $B/$K/pipe.o \
  $B/$K/exec.o \
  $B/$K/sysfile.o \
  $B/$K/kernelvec.o \
  $B/$K/plic.o \
  $B/$K/virtio_disk.o \
  $B/$K/virtio_net.o \
  $B/$K/virtio_rng.o \
  $B/$K/random.o \
  $B/$K/netchan.o \
  $B/$K/netfilt.o \
  $B/$K/netguard.o \
  $B/$K/netcache.o \
  $B/$K/prof.o \
  $B/$K/bootargs.o

CFLAGS = -Wall -Werror -O2 -fno-omit-frame-pointer -ggdb -gdwarf-2
CFLAGS += -MD -mcmodel=medany -ffreestanding -fno-common -nostdlib -mno-relax
CFLAGS += -fno-stack-protector -fno-pie -no-pie -I.
CFLAGS += -march=rv64gc_zicsr_zifencei

# User programs and libnet are optimised across files (LTO): under
# QEMU's TCG every function return is an indirect jump that looks up
# the next translated block, and libnet's layers are many small calls.
UCFLAGS = $(CFLAGS) -flto=auto
ULINK = $(CC) $(UCFLAGS) -Wl,-z,max-page-size=4096 -T $A/user.ld
ASFLAGS = $(CFLAGS)
LDFLAGS = -z max-page-size=4096

# libnet, the network library OS every networked program links (guest build).
LOBJS = \
  $B/$L/chan.o \
  $B/$L/netif.o \
  $B/$L/arp.o \
  $B/$L/ipv4.o \
  $B/$L/icmp.o \
  $B/$L/udp.o \
  $B/$L/tcp.o \
  $B/$L/tcp_in.o \
  $B/$L/tcp_out.o \
  $B/$L/tcp_sndq.o \
  $B/$L/tcp_cc.o \
  $B/$L/tcp_orphan.o \
  $B/$L/socket.o \
  $B/$L/dgram.o \
  $B/$L/stream.o \
  $B/$L/resolv.o

# The user runtime every program links.
ULIB = $B/$A/ulib.o $B/$A/usys.o $B/$A/printf.o $B/$A/umalloc.o $B/$A/getopt.o

UPROGS = \
  $B/$A/_init \
  $B/$A/_sh \
  $B/$A/_cat \
  $B/$A/_echo \
  $B/$A/_grep \
  $B/$A/_kill \
  $B/$A/_ln \
  $B/$A/_ls \
  $B/$A/_mkdir \
  $B/$A/_rm \
  $B/$A/_wc \
  $B/$A/_sleep \
  $B/$A/_uptime \
  $B/$A/_ps \
  $B/$A/_halt \
  $B/$A/_fault \
  $B/$A/_free \
  $B/$A/_touch \
  $B/$A/_usertests \
  $B/$A/_netstat \
  $B/$A/_nettests \
  $B/$A/_rawudp \
  $B/$A/_zcsend \
  $B/$A/_blast \
  $B/$A/_sink \
  $B/$A/_netd \
  $B/$A/_udpecho \
  $B/$A/_echoserver \
  $B/$A/_echoclient \
  $B/$A/_tcpsrc \
  $B/$A/_seedecho \
  $B/$A/_tcpbulk \
  $B/$A/_ping \
  $B/$A/_host \
  $B/$A/_ifconfig \
  $B/$A/_libnettests \
  $B/$A/_spy \
  $B/$A/_prof \
  $B/$A/_sha256sum \
  $B/$A/_wget \
  $B/$A/_nc \
  $B/$A/_df \
  $B/$A/_httpd

all: $B/$K/kernel $B/fs.img

toolcheck:
	@command -v $(CC) >/dev/null || { echo "*** $(CC) not found: run scripts/setup.sh (apt-get install gcc-riscv64-unknown-elf)"; exit 1; }

$B/$K/%.o: $K/%.c | toolcheck
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$B/$K/%.o: $K/%.S | toolcheck
	@mkdir -p $(@D)
	$(CC) $(ASFLAGS) -c -o $@ $<

$B/$K/kernel: $(KOBJS) $K/kernel.ld
	$(LD) $(LDFLAGS) -T $K/kernel.ld -o $@ $(KOBJS)
	$(OBJDUMP) -S $@ > $B/$K/kernel.asm

$B/$A/%.o: $A/%.c | toolcheck
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -c -o $@ $<

# ulib.c's _start calls main as int main(int, char**), which LTO would
# check against each program's own main (some take void): outside LTO.
$B/$A/ulib.o: $A/ulib.c | toolcheck
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$B/$A/%.o: $A/%.S | toolcheck
	@mkdir -p $(@D)
	$(CC) $(ASFLAGS) -c -o $@ $<

# The in-guest test programs (usertests, nettests, libnettests) share
# testlib: the failure helpers and the runner.
TESTPROGS = $B/$A/_usertests $B/$A/_nettests $B/$A/_libnettests
$(TESTPROGS): $B/$A/_%: $B/$A/%.o $B/$A/testlib.o $B/$L/libnet.a $(ULIB) $A/user.ld
	$(ULINK) -o $B/$A/$*.debug $< $B/$A/testlib.o $B/$L/libnet.a $(ULIB)
	$(OBJCOPY) --strip-debug $B/$A/$*.debug $@

# httpd links its request parser (http.c, also built for the host's
# tests and fuzzer) and its file path (httpfile.c).
HTTPD = $B/$A/httpd.o $B/$A/http.o $B/$A/httpfile.o
$B/$A/_httpd: $(HTTPD) $B/$L/libnet.a $(ULIB) $A/user.ld
	$(ULINK) -o $B/$A/httpd.debug $(HTTPD) $B/$L/libnet.a $(ULIB)
	$(OBJCOPY) --strip-debug $B/$A/httpd.debug $@

# Programs that check what they move with SHA-256 (apps/sha256.c).
SHAPROGS = $B/$A/_tcpbulk $B/$A/_sha256sum
$(SHAPROGS): $B/$A/_%: $B/$A/%.o $B/$A/sha256.o $B/$L/libnet.a $(ULIB) $A/user.ld
	$(ULINK) -o $B/$A/$*.debug $< $B/$A/sha256.o $B/$L/libnet.a $(ULIB)
	$(OBJCOPY) --strip-debug $B/$A/$*.debug $@

# The file system gets programs without debug information (it would not
# fit); build/apps/name.debug keeps it for gdb.
$B/$A/_%: $B/$A/%.o $B/$L/libnet.a $(ULIB) $A/user.ld
	$(ULINK) -o $B/$A/$*.debug $< $B/$L/libnet.a $(ULIB)
	$(OBJCOPY) --strip-debug $B/$A/$*.debug $@

# netd carries the DHCP client.
$B/$A/_netd: $B/$A/netd.o $B/$A/dhcp.o $B/$L/libnet.a $(ULIB) $A/user.ld
	$(ULINK) -o $B/$A/netd.debug $< $B/$A/dhcp.o $B/$L/libnet.a $(ULIB)
	$(OBJCOPY) --strip-debug $B/$A/netd.debug $@

$B/$L/%.o: $L/%.c | toolcheck
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -c -o $@ $<

# A thin archive (T): layer and wire files share names (ipv4.o, udp.o...),
# and a thin archive keeps their paths apart.
$B/$L/libnet.a: $(LOBJS)
	rm -f $@
	$(TOOLPREFIX)gcc-ar rcsT $@ $(LOBJS)

$B/mkfs: $M/mkfs.c $K/fs.h $K/param.h
	@mkdir -p $(@D)
	gcc -Werror -Wall -I. -o $@ $M/mkfs.c

# httpd's demo site, /www: the pages in mkfs/www and test files of
# deterministic bytes (SHA-256 of a counter) made here.
WWW = index.html style.css img/index.html img/logo.svg img/packet.png
WWWGEN = $B/www/1k $B/www/64k $B/www/1m
$B/www/%: scripts/mkblob.py
	@mkdir -p $(@D)
	$(PY) scripts/mkblob.py $* > $@
FSFILES += $(foreach f,$(WWW),www/$f=$M/www/$f) $(foreach f,$(WWWGEN),www/$(notdir $f)=$f)

# Programs appear in the file system without the leading underscore.
# /etc/resolv.conf names no server: see docs/libnet.md, "Names".
ETCFILES = etc/hosts=mkfs/etc/hosts etc/resolv.conf=mkfs/etc/resolv.conf
# FSSIZE: the image's size in 1 KiB blocks (mkfs -s); fssize remembers
# the last one, so a new value makes a new image.
FSSIZE ?= 131072
$B/fs.img: $B/mkfs README.md $(UPROGS) mkfs/etc/hosts mkfs/etc/resolv.conf $B/fssize
$B/fs.img: $(addprefix $M/www/,$(WWW)) $(WWWGEN)
	$B/mkfs -s $(FSSIZE) $@ README.md $(UPROGS) $(ETCFILES) $(FSFILES)

$B/fssize: FORCE
	@mkdir -p $(@D)
	@echo $(FSSIZE) | cmp -s - $@ || echo $(FSSIZE) > $@

FORCE:

-include $B/$K/*.d $B/$A/*.d $B/$L/*.d

# --- running ---------------------------------------------------------------
CPUS ?= 2
NET ?= user
RNG ?= 1
# netd asks for a DHCP lease at boot, except on NET=dgram, whose tests see every frame
DHCP ?= $(if $(filter dgram,$(NET)),0,1)
FSIMG ?= $B/fs.img
HOSTFWD ?= hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=tcp:127.0.0.1:8007-:7
NET_LPORT ?= 20001
NET_RPORT ?= 20000
GDBPORT = $(shell expr `id -u` % 5000 + 25000)

QEMUOPTS = -machine virt -bios none -kernel $B/$K/kernel -m 128M -smp $(CPUS) -nographic
QEMUOPTS += -global virtio-mmio.force-legacy=false
QEMUOPTS += -drive file=$(FSIMG),if=none,format=raw,id=x0
QEMUOPTS += -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0
ifeq ($(NET),user)
QEMUOPTS += -netdev user,id=net0,$(HOSTFWD)
endif
ifeq ($(NET),dgram)
QEMUOPTS += -netdev dgram,id=net0,local.type=inet,local.host=127.0.0.1,local.port=$(NET_LPORT),remote.type=inet,remote.host=127.0.0.1,remote.port=$(NET_RPORT)
endif
ifeq ($(NET),tap)
QEMUOPTS += -netdev tap,id=net0,ifname=$(TAP),script=no,downscript=no
endif
QEMUOPTS += -device virtio-net-device,netdev=net0,bus=virtio-mmio-bus.1$(NETDEVOPTS)
ifeq ($(RNG),1)
QEMUOPTS += -device virtio-rng-device,bus=virtio-mmio-bus.2
endif
QEMUOPTS += -append dhcp=$(DHCP)
ifdef PCAP
QEMUOPTS += -object filter-dump,id=dump0,netdev=net0,file=$(PCAP)
endif

setup:
	@scripts/setup.sh

qemu: setup
	$(MAKE) all
	$(QEMU) $(QEMUOPTS)

qemu-gdb: setup all
	@echo "*** gdb: target remote :$(GDBPORT)"
	$(QEMU) $(QEMUOPTS) -S -gdb tcp::$(GDBPORT)

# The harness asks for the exact command line, so it is written once, here.
print-qemu:
	@echo $(QEMU) $(QEMUOPTS)

test: setup
	$(MAKE) all
	$(PY) -m pytest -v pcap-tests

bench: setup
	$(MAKE) all
	$(PY) scripts/bench.py
	$(PY) scripts/bench_raw.py
	$(PY) scripts/bench_libnet.py
	$(PY) scripts/bench_tcp.py
	$(PY) scripts/bench_httpd.py

# One million hostile frames under CPUS=4, beside a process scribbling its
# rings; about 3 minutes, so not part of test. Writes docs/performance.md.
# Then TCP against Linux at full size (scripts/stress_tcp.py).
stress: setup
	$(MAKE) all
	$(PY) scripts/stress.py
	$(PY) scripts/stress_tcp.py
	$(PY) scripts/stress_fs.py

clean:
	rm -rf $B

# keep objects: usertests and friends rebuild slowly otherwise
.PRECIOUS: $B/$A/%.o

.PHONY: all toolcheck setup qemu qemu-gdb print-qemu test bench stress clean

# --- libnet's wire layer: guest objects, host unit tests, fuzzing ----------
# libnet/wire/ builds unchanged for the guest and the Linux host. On the
# guest its objects join libnet.a; on the host it is unit-tested and
# fuzzed under ASan and UBSan, with objects under $H, never beside the
# sources or among the guest's.
LWIRE = \
  $B/$L/wire/cksum.o \
  $B/$L/wire/eth.o \
  $B/$L/wire/arp.o \
  $B/$L/wire/ipv4.o \
  $B/$L/wire/icmp.o \
  $B/$L/wire/udp.o \
  $B/$L/wire/tcp.o \
  $B/$L/wire/dns.o

LOBJS += $(LWIRE)
# The archive's rule read LOBJS before these were added: name them again.
$B/$L/libnet.a: $(LWIRE)

H = $B/host
HOSTCC = gcc
FUZZCC = clang
HOSTCFLAGS = -Wall -Werror -O1 -g -fno-omit-frame-pointer -MD -I.
HOSTCFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all
# -fno-sanitize-recover: a UBSan report must stop the fuzzer like a crash.
FUZZCFLAGS = -Wall -Werror -O1 -g -fno-omit-frame-pointer -MD -I.
FUZZCFLAGS += -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# sys.h picks libc over the guest's runtime (the wire layer needs neither).
HOSTCFLAGS += -DLIBNET_HOST
FUZZCFLAGS += -DLIBNET_HOST
FUZZTIME ?= 20

# libnet as the host tests link it (the stateful layers may join).
HLOBJS = $(patsubst $B/%,$H/%,$(LWIRE))

# The stateful layers on loop.c's in-memory device, for the stack's tests
# and fuzzer. chan.c stays out: it needs the kernel's channel.
LSTACK = netif arp ipv4 icmp udp tcp tcp_in tcp_out tcp_sndq tcp_cc tcp_orphan socket dgram stream loop
HSOBJS = $(patsubst %,$H/$L/%.o,$(LSTACK))
FSOBJS = $(patsubst %,$H/fuzz/obj/%.o,$(LSTACK))

HTESTS = \
  $H/$L/test/test_cksum \
  $H/$L/test/test_eth \
  $H/$L/test/test_arp \
  $H/$L/test/test_ipv4 \
  $H/$L/test/test_icmp \
  $H/$L/test/test_udp \
  $H/$L/test/test_tcp \
  $H/$L/test/test_dns \
  $H/$L/test/test_http

HSTESTS = \
  $H/$L/test/test_stack \
  $H/$L/test/test_arpcache \
  $H/$L/test/test_ipin \
  $H/$L/test/test_reasm \
  $H/$L/test/test_icmperr \
  $H/$L/test/test_udpsock \
  $H/$L/test/test_counters \
  $H/$L/test/test_answers \
  $H/$L/test/test_ctl \
  $H/$L/test/test_txbuf \
  $H/$L/test/test_tcpstate \
  $H/$L/test/test_dnsapi

# Two stacks over an emulated link (libnet/test/twostack.h); make host-tcp runs TCP's alone.
H2TESTS = \
  $H/$L/test/test_twoudp \
  $H/$L/test/test_twotcp

HTESTS += $(HSTESTS) $(H2TESTS)

FUZZERS = \
  $H/fuzz/fuzz_eth \
  $H/fuzz/fuzz_arp \
  $H/fuzz/fuzz_ipv4 \
  $H/fuzz/fuzz_icmp \
  $H/fuzz/fuzz_udp \
  $H/fuzz/fuzz_tcp \
  $H/fuzz/fuzz_stack \
  $H/fuzz/fuzz_tcpconn \
  $H/fuzz/fuzz_dns \
  $H/fuzz/fuzz_http

$H/$L/%.o: $L/%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOSTCFLAGS) -c -o $@ $<

$H/$L/test/test_%: $H/$L/test/test_%.o $(HLOBJS)
	$(HOSTCC) $(HOSTCFLAGS) -o $@ $^

# Fuzzed code is compiled again, by clang, with coverage instrumentation.
$H/fuzz/obj/%.o: $L/%.c
	@mkdir -p $(@D)
	$(FUZZCC) $(FUZZCFLAGS) -c -o $@ $<

$H/fuzz/fuzz_%: $H/fuzz/obj/fuzz/fuzz_%.o $(patsubst $B/$L/%,$H/fuzz/obj/%,$(LWIRE))
	$(FUZZCC) $(FUZZCFLAGS) -o $@ $^

# The stack's tests and fuzzer link the stateful layers as well ($^ takes these in).
$(HSTESTS): $(HSOBJS)
$H/fuzz/fuzz_stack: $(FSOBJS)
$H/fuzz/fuzz_tcpconn: $(FSOBJS)
$H/$L/test/test_dnsapi: $H/$L/resolv.o

# The stateful layers as one object, then two copies with every global
# they define renamed A_... and B_...: two stacks with their own state in
# one process. What they only use (libc, the wire layer) stays shared.
HLD = ld
HNM = nm
HOBJCOPY = objcopy
H2OBJS = $H/$L/two/stack_A.o $H/$L/two/stack_B.o $H/$L/test/twostack.o

$H/$L/two/stack.o: $(HSOBJS)
	@mkdir -p $(@D)
	$(HLD) -r -o $@ $(HSOBJS)

$H/$L/two/stack_%.o: $H/$L/two/stack.o
	$(HNM) --defined-only -g $< | awk '{ print $$3, "$*_" $$3 }' > $H/$L/two/$*.syms
	$(HOBJCOPY) --redefine-syms=$H/$L/two/$*.syms $< $@

$(H2TESTS) $H/$L/test/test_twotcp: $(H2OBJS)

# httpd's request parser (apps/http.c) is tested and fuzzed beside libnet's parsers.
$H/$A/http.o: $A/http.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOSTCFLAGS) -c -o $@ $<

$H/fuzz/obj/$A/http.o: $A/http.c
	@mkdir -p $(@D)
	$(FUZZCC) $(FUZZCFLAGS) -c -o $@ $<

$H/$L/test/test_http: $H/$A/http.o
$H/fuzz/fuzz_http: $H/fuzz/obj/$A/http.o

host-tcp: $H/$L/test/test_twotcp
	$H/$L/test/test_twotcp

# libnet on a tap device, against Linux's own stack (pcap-tests/test_libnet_tap.py).
$H/$L/test/tapecho: $H/$L/test/tapecho.o $H/$L/tap.o $(HSOBJS) $(HLOBJS)
	$(HOSTCC) $(HOSTCFLAGS) -o $@ $^

host-tap: $H/$L/test/tapecho

# Run every test binary; each ends with "name: N passed, N failed".
# A binary that dies before that line (a sanitizer report) counts as one failure.
host-test: $(HTESTS)
	@pass=0; fail=0; \
	for t in $(HTESTS); do \
	  $$t > $$t.out 2>&1; rc=$$?; cat $$t.out; \
	  set -- `sed -n 's/^.*: \([0-9]*\) passed, \([0-9]*\) failed$$/\1 \2/p' $$t.out` 0 0; \
	  pass=$$((pass + $$1)); fail=$$((fail + $$2)); \
	  if [ $$rc -ne 0 ] && [ $$2 -eq 0 ]; then echo "$$t: exit status $$rc"; fail=$$((fail + 1)); fi; \
	done; \
	echo "$$pass passed, $$fail failed"; [ $$fail -eq 0 ]

# Fuzz each parser for FUZZTIME seconds on a copy of its seed corpus, so
# the committed seeds stay as they are. Crash inputs and logs stay in $H/fuzz.
fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do \
	  n=`basename $$f`; c=$H/fuzz/corpus/$$n; \
	  rm -rf $$c; mkdir -p $$c; cp $L/fuzz/corpus/$$n/* $$c/; \
	  if ! $$f -max_total_time=$(FUZZTIME) -print_final_stats=1 -artifact_prefix=$H/fuzz/$$n- \
	      $$c > $H/fuzz/$$n.log 2>&1; then \
	    tail -40 $H/fuzz/$$n.log; echo "$$n: FAILED, log in $H/fuzz/$$n.log"; exit 1; \
	  fi; \
	  echo "$$n: `sed -n 's/^stat::number_of_executed_units: *//p' $H/fuzz/$$n.log` runs," \
	    "`sed -n 's/^stat::average_exec_per_sec: *//p' $H/fuzz/$$n.log` exec/s," \
	    "corpus `ls $L/fuzz/corpus/$$n | wc -l` -> `ls $$c | wc -l`, no findings"; \
	done

-include $B/$L/wire/*.d $H/$L/*.d $H/$L/*/*.d $H/fuzz/obj/*.d $H/fuzz/obj/*/*.d
-include $H/$A/*.d

.PRECIOUS: $H/$L/%.o $H/fuzz/obj/%.o
.PHONY: host-test host-tcp fuzz
