"""The file system at sizes the old one could not hold: df's figures, and
a file through the doubly-indirect blocks written, read back, truncated
and removed, phase by phase (usertests hugewrite, hugeread, hugetrunc),
with df showing every block back at the end.

FS_HUGE_MB sets the file's size: 2 MiB by default (make test; usertests'
quick set writes 8 MiB in one test besides), 64 MiB under make stress
(scripts/stress_fs.py). Each phase writes at most FS_STEP_MB, so that it
stays within usertests' 120 s limit per test on a loaded machine.
"""
import os
import re

from test_kernel import describe_failures, run_usertests

HUGE_MB = int(os.environ.get("FS_HUGE_MB", "2"))
STEP_MB = 16
DF = re.compile(r"^disk\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)%\s+/$", re.M)


def df(g):
    out = g.run("df")
    assert out.splitlines()[0].split() == \
        ["Filesystem", "1K-blocks", "Used", "Available", "Use%", "Mounted", "on"], \
        "df's header is %r" % out
    m = DF.search(out)
    assert m, "df printed no line for /: %r" % out
    total, used, avail, pct = map(int, m.groups())
    assert used + avail == total, "df: used %d + available %d != %d" % (used, avail, total)
    return total, used, avail


def test_df(guest):
    total, _, _ = df(guest)
    assert total == 131072, "the default image has %d KiB, wanted 128 MiB" % total
    # made empty first: the directory may grow a block for its name
    guest.run("touch big3")
    _, used, _ = df(guest)
    guest.run("cat README.md README.md README.md > big3")
    size = 3 * os.path.getsize(os.path.join(os.path.dirname(__file__), "..", "README.md"))
    blocks = (size + 1023) // 1024
    blocks += 1 if blocks > 11 else 0
    _, used2, _ = df(guest)
    assert used2 - used == blocks, "a %d-byte file took %d blocks, wanted %d" % (
        size, used2 - used, blocks)
    guest.run("rm big3")
    _, used3, _ = df(guest)
    assert used3 == used, "after rm, %d blocks used, %d before" % (used3, used)

    out = guest.run("df -i")
    m = re.search(r"^disk\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)%\s+/$", out, re.M)
    assert m and int(m.group(1)) == 2047, "df -i: %r" % out
    out = guest.run("df nonexistent")
    assert "df: nonexistent: no such file or directory" in out, out
    assert "Filesystem" not in out, "df printed a header with no line under it: %r" % out
    out = guest.run("df -x")
    assert "usage: df [-i] [file ...]" in out, out


def test_huge_file(guest):
    _, used0, _ = df(guest)
    args = ["hugewrite %d" % mb for mb in range(STEP_MB, HUGE_MB, STEP_MB)]
    args += ["hugewrite %d" % HUGE_MB, "hugeread %d" % HUGE_MB, "hugetrunc %d" % HUGE_MB]
    results, final, text = run_usertests(guest, " ".join(args),
                                         timeout=60 + 10 * HUGE_MB)
    failed = [r[0] for r in results if r[1] == "FAILED"]
    assert not failed, "%s\n%s" % (failed, describe_failures(results))
    assert final == "ALL TESTS PASSED", text
    for line in text.splitlines():
        if re.match(r"huge(write|read): ", line):
            print(line)
    _, used1, _ = df(guest)
    assert used1 == used0, "%d blocks used after the %d MiB file, %d before" % (
        used1, HUGE_MB, used0)
