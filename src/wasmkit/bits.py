"""The masks and sign bits of wasm's two integer widths, defined once.

Inside the engines an i32 or i64 is a Python int in [0, 2**32) or [0, 2**64) (see
`runtime.values`): arithmetic reduces with `& MASK32` / `& MASK64`, and a signed reading flips
`SIGN32` / `SIGN64`. This module imports nothing, so that every layer (text, runtime, engines)
can use it.
"""

from __future__ import annotations

__all__ = ["MASK32", "MASK64", "SIGN32", "SIGN64"]

MASK32 = (1 << 32) - 1
MASK64 = (1 << 64) - 1
SIGN32 = 1 << 31
SIGN64 = 1 << 63
