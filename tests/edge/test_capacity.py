"""How many requests a worker runs at once, by default: from the CPUs, the memory, the routes."""

from __future__ import annotations

from pathlib import Path

import pytest

from wasmkit.edge import capacity

GIB = 1024**3


@pytest.mark.parametrize(
    ("cpus", "memory", "memory_mb", "workers", "threads"),
    [
        (2, 24 * GIB, [128], 2, 8),  # CPU-bound: 4 a CPU
        (64, 24 * GIB, [128], 2, 48),  # memory-bound: 12 GiB over 2 workers, 128 MiB each
        (2, 1 * GIB, [128, 512], 1, 1),  # the largest route counts; never below 1
        (2, 1 * GIB, [32], 4, 4),  # 128 MiB a worker: 4 requests of 32 MiB
    ],
)
def test_default_threads(
    monkeypatch: pytest.MonkeyPatch, cpus: int, memory: int, memory_mb: list[int], workers: int, threads: int
) -> None:
    monkeypatch.setattr(capacity, "cpu_count", lambda: cpus)
    monkeypatch.setattr(capacity, "memory_limit_bytes", lambda: memory)
    assert capacity.default_threads(memory_mb, workers) == threads


def test_a_container_limit_below_the_machine_is_the_memory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    limit = tmp_path / "memory.max"
    limit.write_text("536870912\n")
    monkeypatch.setattr(capacity, "_CGROUP_LIMITS", (tmp_path / "absent", limit))
    assert capacity.memory_limit_bytes() == 512 * 1024**2
    limit.write_text("max\n")  # cgroup v2's "no limit"
    assert capacity.memory_limit_bytes() > 512 * 1024**2


@pytest.mark.parametrize(("cpu_max", "cpus"), [("150000 100000\n", 2), ("50000 100000\n", 1), ("max 100000\n", 64), (None, 64)])
def test_a_container_cpu_quota_below_the_machine_is_the_cpus(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cpu_max: str | None, cpus: int
) -> None:
    monkeypatch.setattr(capacity.os, "sched_getaffinity", lambda _pid: set(range(64)))
    quota = tmp_path / "cpu.max"
    if cpu_max is not None:
        quota.write_text(cpu_max)
    monkeypatch.setattr(capacity, "_CGROUP_CPU", quota)
    assert capacity.cpu_count() == cpus
