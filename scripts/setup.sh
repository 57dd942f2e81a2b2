#!/bin/sh
# setup.sh: make sure every tool the build, the tests and the benchmarks
# use is installed. Idempotent and quiet (one line) when all is present.
# As root it installs what is missing with apt-get (Debian 12); otherwise
# it prints the command to run and fails. It changes nothing else.
set -e

missing=""
need() { # need DEBIAN-PACKAGE CHECK-COMMAND...
	pkg="$1"
	shift
	if ! "$@" >/dev/null 2>&1; then
		case " $missing " in
		*" $pkg "*) ;;
		*) missing="$missing $pkg" ;;
		esac
	fi
}
have() { command -v "$1"; }
pymod() { /usr/bin/python3 -c "import $1"; }
openbsd_nc() { nc -h 2>&1 | grep -q OpenBSD; }

need gcc-riscv64-unknown-elf have riscv64-unknown-elf-gcc
need qemu-system-misc have qemu-system-riscv64
need gcc have gcc
need make have make
need python3 test -x /usr/bin/python3
need python3-pytest pymod pytest
need python3-pexpect pymod pexpect
need python3-scapy pymod scapy
need dnsmasq-base have dnsmasq
need clang have clang
need tcpdump have tcpdump
need tshark have tshark
need iproute2 have ip
need curl have curl
need wget have wget
need netcat-openbsd openbsd_nc
need apache2-utils have ab
need wrk have wrk
need lighttpd test -x /usr/sbin/lighttpd
need chromium have chromium
need dnsmasq-base have dnsmasq

if [ -z "$missing" ]; then
	echo "setup: all tools present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "setup: missing:$missing" >&2
	echo "run as root: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y$missing" >&2
	exit 1
fi
echo "setup: installing:$missing"
apt-get update
# shellcheck disable=SC2086  # the list is meant to split into words
DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
