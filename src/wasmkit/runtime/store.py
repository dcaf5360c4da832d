"""The store: where instances live, with the engine that runs them and the limits they obey."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.base import Engine, get_engine

__all__ = ["Store", "StoreLimits"]


@dataclass
class StoreLimits:
    """Resource caps for everything created in a store (None: only the spec's own limits).
    Growth past a cap is refused the way the spec allows (memory.grow and table.grow give -1)."""

    memory_bytes: int | None = None
    table_elements: int | None = None


class Store:
    """Instances created in a store share its engine and limits."""

    def __init__(self, engine: str | Engine = "python", limits: StoreLimits | None = None) -> None:
        self.engine: Engine = get_engine(engine) if isinstance(engine, str) else engine
        self.limits = limits or StoreLimits()
