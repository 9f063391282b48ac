"""A job that exhausts the worker's memory for real (under a ceiling it sets on itself)."""

from __future__ import annotations

import resource

HEADROOM = 300 * 2**20  # bytes above what the process maps when the job starts


def exhaust_memory() -> None:
    """Allocate until nothing is left, keeping it all referenced, as a runaway job does."""
    with open("/proc/self/statm") as f:
        mapped = int(f.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (mapped + HEADROOM, resource.RLIM_INFINITY))
    hog = []
    chunk = 2**24
    while chunk >= 64:
        try:
            hog.append(bytearray(chunk))
        except MemoryError:
            chunk //= 2
    raise MemoryError(f"{len(hog)} blocks held")
