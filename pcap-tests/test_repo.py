"""Checks on the repository itself, not the guest: no QEMU is booted.

Committed text must not name the machine it was written on: a benchmark
that printed its temporary directory or a home directory into
docs/performance.md tells a reader on another machine nothing, and a
script that defaults to one machine's layout breaks on the next. Paths
are written relative to the repository (`../shared/linux-peer`,
`build/fs.img`) or with a placeholder (`$TMP/boot.img`, `~/.cache`).
"""
import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCANNED = ("docs", "scripts", "README.md", "pcap-tests")

# An absolute path into a directory that is this machine's own: temporary
# files, the shared work tree, home directories. The look-behind keeps
# relative paths (`../shared`, `build/tmp/x`) and URLs (`host/home/`) out.
MACHINE_DIRS = ("tmp", "work", "root", "home")
MACHINE_PATH = re.compile(r"(?<![\w.~/:$-])/(?:" + "|".join(MACHINE_DIRS) + r")/")


def at(top, rest):
    """/top/rest, put together so that this file names no such path itself."""
    return "/" + top + "/" + rest


def committed(paths):
    """The files git tracks under paths, relative to the repository."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--"] + list(paths), cwd=ROOT,
                             capture_output=True, check=True, timeout=30).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        pytest.fail("git ls-files failed in %s: %s" % (ROOT, e))
    return [p for p in out.decode().split("\0") if p]


def machine_paths(relpath):
    """(line number, line) for every line of the file naming a machine path."""
    try:
        with open(os.path.join(ROOT, relpath), encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError:
        return []           # a binary file (a captured pcap, say) is not prose
    except FileNotFoundError:
        return []           # deleted in the work tree, not yet committed
    return [(i, line.strip()) for i, line in enumerate(text.splitlines(), 1)
            if MACHINE_PATH.search(line)]


def test_pattern_catches_machine_paths_and_spares_relative_ones():
    bad = ["-kernel " + at("tmp", "bench-libnet-km4gxjj4/snap/kernel/kernel"),
           "`DGRAM_HOST_PORT=1 %s dgram`" % at("work", "shared/linux-peer/run.sh"),
           "file=%s,if=none" % at("tmp", "x/boot.img"), "see " + at("home", "me/notes"),
           '"%s"' % at("root", ".cache")]
    good = ["`../shared/linux-peer/run.sh user`", "-kernel $TMP/snap/kernel/kernel",
            "build/test-logs/x.log", "~/.cache/linux-peer", "/usr/bin/python3 -m pytest",
            "http://127.0.0.1:8080/home/page", "tmp_path / 'fs.img'"]
    assert [s for s in bad if not MACHINE_PATH.search(s)] == []
    assert [s for s in good if MACHINE_PATH.search(s)] == []


def test_committed_docs_and_scripts_name_no_machine_paths():
    files = committed(SCANNED)
    assert files, "git ls-files found nothing under %s" % (SCANNED,)
    hits = ["%s:%d: %s" % (p, n, line[:160]) for p in files for n, line in machine_paths(p)]
    assert hits == [], ("absolute paths of one machine in committed files; write them "
                        "relative to the repository (../shared/linux-peer) or as a "
                        "placeholder ($TMP/...):\n" + "\n".join(hits))
