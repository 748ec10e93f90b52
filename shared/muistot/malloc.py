"""Large buffers go back to the system as soon as they are freed.

glibc serves a block of 128 KiB or more from a mapping of its own, unmapped on free, but each time such a
block is freed it raises that threshold to the block's size (up to 32 MiB). After the first ~800 KB site
list, every later one comes from the heap, and what a burst of them took stays with the process: the data
service's heap grew from 8 to 29 MiB over runs of 128 concurrent reads of it, and stayed there. Setting the
threshold fixes it where it starts.
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3  # mallopt(3): setting it also turns off the dynamic adjustment
LARGE_BLOCK_BYTES = 128 * 1024


def release_large_blocks() -> bool:
    """Fix glibc's mmap threshold; False where there is no glibc (musl, macOS), which changes nothing."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    if not hasattr(libc, "gnu_get_libc_version"):  # musl's mallopt is a stub
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES) == 1
