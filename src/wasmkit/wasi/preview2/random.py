"""wasi:random/random, wasi:random/insecure and wasi:random/insecure-seed.

`random` is the host's CSPRNG (`os.urandom`, as preview 1's `random_get`); `insecure` a
per-instance Mersenne Twister seeded from it; `insecure-seed` a 128-bit value drawn once per
instance (the same on every call, as the WIT asks and wasmtime does). A request for more than
`MAX_RANDOM_BYTES` (the largest list the canonical ABI can give a guest) traps, and a large
one is made in 64 KiB chunks that the instance's interruption can stop.
"""

from __future__ import annotations

import os
import random as host_random

from ...errors import Trap, TrapKind
from ..errno import WasiError
from ..interrupt import Interruption

__all__ = ["MAX_RANDOM_BYTES", "InsecureRandom", "InsecureSeed", "SecureRandom"]

MAX_RANDOM_BYTES = (1 << 28) - 1  # the canonical ABI's largest list<u8>
_CHUNK = 64 * 1024


def _check_length(length: int) -> None:
    if length > MAX_RANDOM_BYTES:
        raise Trap(TrapKind.HOST, f"random bytes: {length} exceeds the largest list ({MAX_RANDOM_BYTES} bytes)")


class SecureRandom:
    """The functions of wasi:random/random."""

    def __init__(self, stop: Interruption) -> None:
        self._stop = stop

    def get_random_bytes(self, length: int) -> bytes:
        _check_length(length)
        out = bytearray()
        while len(out) < length:
            try:
                self._stop.check()
            except WasiError:
                raise Trap(TrapKind.INTERRUPTED) from None
            out += os.urandom(min(_CHUNK, length - len(out)))
        return bytes(out)

    def get_random_u64(self) -> int:
        return int.from_bytes(os.urandom(8), "little")


class InsecureRandom:
    """The functions of wasi:random/insecure: fast, not for secrets."""

    def __init__(self) -> None:
        self._generator = host_random.Random(os.urandom(16))

    def get_insecure_random_bytes(self, length: int) -> bytes:
        _check_length(length)
        return self._generator.randbytes(length)

    def get_insecure_random_u64(self) -> int:
        return self._generator.getrandbits(64)


class InsecureSeed:
    """The function of wasi:random/insecure-seed."""

    def __init__(self) -> None:
        seed = os.urandom(16)
        self._seed = (int.from_bytes(seed[:8], "little"), int.from_bytes(seed[8:], "little"))

    def insecure_seed(self) -> tuple[int, int]:
        return self._seed
