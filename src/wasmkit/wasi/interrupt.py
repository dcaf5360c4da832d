"""Stopping a WASI call in progress.

Two requests stop an instance's WASI calls between their steps (one chunk of a transfer, one
slice of a wait, one batch of poll subscriptions, a slice of waiting for stdin):

- `WasiPreview1.interrupt()`: the call ends with INTR, or with the short count of what it
  already moved, now and from then on (POSIX's answer for an interrupted call);
- an interrupt of the calling instance's store (`Store.interrupt`, `Store.set_deadline`): the
  call traps with "interrupted", as the store's wasm code would at its next check, so that a
  deadline stops a program even while it is inside one long WASI call.
"""

from __future__ import annotations

import select
import threading
import time

from ..runtime.store import Store
from .errno import Errno, WasiError

__all__ = ["SLICE", "Interruption"]

SLICE = 0.05  # seconds per wait step, so that a stop is seen promptly


class Interruption:
    """The stop requests one instance's WASI calls honour; safe to set from any thread."""

    __slots__ = ("_event", "_caller", "default_store")

    def __init__(self, default_store: Store | None = None) -> None:
        self._event = threading.Event()
        # Per thread: the threads of a wasi-threads program share one WASI state, each
        # calling from an instance in a store of its own.
        self._caller = threading.local()
        self.default_store = default_store

    @property
    def store(self) -> Store | None:
        """The store of the instance calling on this thread (set per call), else
        `default_store` (WASI 0.2: the one store of the component instance)."""
        return getattr(self._caller, "store", self.default_store)

    @store.setter
    def store(self, store: Store | None) -> None:
        self._caller.store = store

    def set(self) -> None:
        """End every WASI call's work with INTR, now and from now on."""
        self._event.set()

    def requested(self) -> bool:
        """Whether the call should stop now: True after `set`; a trap if the store was
        interrupted."""
        if self.store is not None:
            self.store.check_interrupt()
        return self._event.is_set()

    def check(self) -> None:
        """Fail with INTR (or trap, see `requested`) if the call should stop."""
        if self.requested():
            raise WasiError(Errno.INTR)

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`, failing as `check` does as soon as a stop is requested."""
        self.check()
        if self.store is None:
            self._event.wait(seconds)
        else:
            # The store's interrupt does not set the event: look at it every slice.
            end = time.monotonic() + seconds
            while (left := end - time.monotonic()) > 0 and not self._event.wait(min(left, SLICE)):
                self.store.check_interrupt()
        self.check()

    def wait_ready(self, fd: int, *, write: bool = False) -> None:
        """Wait until host descriptor `fd` can be read (or written: PIPE_BUF bytes at least)
        without blocking, or `select` cannot tell (the read or write reports the error),
        failing as `check` does once a stop is requested."""
        readers, writers = ([], [fd]) if write else ([fd], [])
        while True:
            self.check()
            try:
                ready = select.select(readers, writers, [], SLICE)
            except (OSError, ValueError):
                return
            if ready[0] or ready[1]:
                return
