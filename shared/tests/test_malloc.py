"""`release_large_blocks`: a large response body gets a mapping of its own, returned to the system when freed,
even after an earlier large block (which makes glibc's default serve the next ones from its heap)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from muistot.malloc import release_large_blocks
fixed = sys.argv[1] == "fixed"
if fixed:
    assert release_large_blocks()

def heap():
    for line in open("/proc/self/maps"):
        if line.rstrip().endswith("[heap]"):
            return tuple(int(x, 16) for x in line.split()[0].split("-"))
    return (0, 0)

def resident_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

first = bytearray(b"w" * 1_000_000)
del first
body = b"x" * 800_000
start, end = heap()
place = "heap" if start <= id(body) < end else "own mapping"
before = resident_kib()
del body
print(place, before - resident_kib())
"""


def probe(mode: str) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True).stdout
    place, freed_kib = out.strip().rsplit(" ", 1)
    return place, int(freed_kib)


def test_a_large_body_after_an_earlier_one_comes_from_the_heap_by_default() -> None:
    place, _ = probe("default")
    assert place == "heap"


def test_with_the_threshold_fixed_it_has_a_mapping_of_its_own_whose_pages_leave_when_it_is_freed() -> None:
    place, freed_kib = probe("fixed")
    assert place == "own mapping"
    assert freed_kib >= 700
