"""How many requests a worker process runs at once: its request threads.

Threads do two things here: they let the event loop keep answering while modules run, and they
let a request that waits (a WASI sleep) leave the CPU to others. They do not add CPU: the
Python engine holds the GIL, so a few threads per CPU already keep every CPU busy. What each
running request may cost is its route's `memory_mb` (see edge/budget.py), so the default is
the smaller of

    THREADS_PER_CPU x the CPUs this process may use (its container's CPU quota included), and
    (the memory this machine or container grants, halved, divided among the workers)
      / the largest memory_mb of any route,

and at least 1. `--threads` overrides it. More requests than threads wait their turn in the
queue (their route's timeout keeps running).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["THREADS_PER_CPU", "cpu_count", "default_threads", "memory_limit_bytes"]

THREADS_PER_CPU = 4
_MIB = 1024 * 1024
_CGROUP_CPU = Path("/sys/fs/cgroup/cpu.max")
_CGROUP_LIMITS = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))


def default_threads(memory_mb: Iterable[int], workers: int) -> int:
    """The request threads per worker for routes with these `memory_mb`, on this machine."""
    cpus = cpu_count()
    largest = max(memory_mb, default=1) * _MIB
    by_memory = memory_limit_bytes() // 2 // max(workers, 1) // largest
    return max(1, min(THREADS_PER_CPU * cpus, by_memory))


def cpu_count() -> int:
    """The CPUs this process may use: those it may run on, or fewer if its container's CPU
    quota (cgroup v2 cpu.max, as Kubernetes sets from a CPU limit) allows less."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = _CGROUP_CPU.read_text().split()[:2]
    except (OSError, ValueError):
        return cpus
    if quota.isdigit() and period.isdigit() and int(period) > 0:
        return max(1, min(cpus, math.ceil(int(quota) / int(period))))
    return cpus


def memory_limit_bytes() -> int:
    """The memory this process may use: its container's limit (cgroup v2 or v1) if there is
    one below the machine's physical memory, else the physical memory."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for path in _CGROUP_LIMITS:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            return min(int(text), physical)
    return physical
