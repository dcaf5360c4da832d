"""The modules the explore tests look at: a small one whose every fact is known (names,
calls, sections), and a component with two core modules."""

from __future__ import annotations

from wasmkit.binary import write_module
from wasmkit.text import parse_module

# log is imported; middle calls leaf twice and something through the table; top calls middle
# and log. An export's name that would end the page's <script> element if it were not escaped.
DEMO_WAT = """
(module $demo
  (type $t (func (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (table 2 funcref)
  (func $leaf (param i32) (result i32) local.get 0 i32.const 1 i32.add)
  (func $middle (export "middle") (param i32) (result i32) (local i64)
    local.get 0 call $leaf call $leaf
    local.get 0 i32.const 0 call_indirect (type $t)
    i32.add)
  (func $top (export "</script><b>top") (param i32)
    block
      local.get 0 call $middle call $log
    end)
  (elem (i32.const 0) $leaf $middle)
  (data (i32.const 16) "hello"))
"""

NAMES = ["log", "leaf", "middle", "top"]


def demo_wasm() -> bytes:
    """DEMO_WAT as a binary with a name section."""
    return write_module(parse_module(DEMO_WAT, "demo.wat", True))
