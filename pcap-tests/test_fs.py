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
STEP_MB = 8
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


def test_mkfs_puts_a_doubly_indirect_file_in_the_image(boot, tmp_path):
    """mkfs's iappend walks the doubly-indirect blocks as bmap() does:
    a 1.2 MB file of numbered lines (past the 267 KiB the direct and
    indirect blocks hold) reads back whole and in order in the guest."""
    import glob
    import subprocess
    from qemu import BUILD

    lines = 100000
    src = tmp_path / "lines.txt"
    src.write_text("".join("line %06d\n" % i for i in range(lines)))
    img = str(tmp_path / "big.img")
    progs = sorted(glob.glob(os.path.join(BUILD, "apps", "_*")))
    readme = os.path.join(os.path.dirname(__file__), "..", "README.md")
    subprocess.run([os.path.join(BUILD, "mkfs"), "-s", "16384", img, readme]
                   + progs + ["data/lines.txt=%s" % src],
                   check=True, capture_output=True)
    g = boot(image=img)
    out = g.run("wc data/lines.txt")
    assert re.search(r"\b%d\s+%d\s+%d\b" % (lines, 2 * lines, 12 * lines), out), \
        "wc data/lines.txt printed %r" % out
    out = g.run("grep line.0999.. data/lines.txt", timeout=60)
    got = [l for l in out.splitlines() if l.startswith("line")]
    assert got == ["line %06d" % i for i in range(99900, 100000)], \
        "the file's last 100 lines read back as %r" % got[:5]
    total, _, _ = df(g)
    assert total == 16384, "df says %d KiB for a 16 MiB image" % total
