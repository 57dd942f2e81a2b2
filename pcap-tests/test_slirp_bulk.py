"""Bulk TCP from the guest to the host over slirp, many times in a row:
frames the device put in the receive ring could wait there with no
interrupt for them, and the sender then retransmitted into silence for
good (1 transfer of 32 MiB in 3 to 40). The kernel's timer now takes
frames that waited two ticks (virtio_net_tick). scripts/stall_g2h.py is
the reproducer; this runs it for 12 transfers and fails on a stall.
"""
import os
import subprocess

from qemu import ROOT


def test_guest_to_host_bulk_over_slirp_never_stalls():
    p = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "stall_g2h.py"), "12"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    out = p.stdout + p.stderr
    assert p.returncode == 0, "a transfer stalled:\n" + out[-3000:]
    assert out.count("33554432 bytes") == 12, out[-3000:]
