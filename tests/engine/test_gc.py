"""GC on the Python engine: structs, arrays and i31 as the host sees them, casts, and
reclaiming what wasm allocates."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import wasmkit
from wasmkit.errors import Trap
from wasmkit.runtime.heap import Array, Struct

GC = """
(module
  (type $point (struct (field $x (mut i32)) (field $y i8)))
  (type $bytes (array (mut i8)))
  (func (export "point") (param i32 i32) (result (ref $point))
    (struct.new $point (local.get 0) (local.get 1)))
  (func (export "x") (param (ref null $point)) (result i32) (struct.get $point $x (local.get 0)))
  (func (export "y_s") (param (ref $point)) (result i32) (struct.get_s $point 1 (local.get 0)))
  (func (export "bytes") (param i32) (result (ref $bytes)) (array.new_default $bytes (local.get 0)))
  (func (export "is_point") (param anyref) (result i32) (ref.test (ref $point) (local.get 0)))
  (func (export "as_point") (param anyref) (result (ref $point)) (ref.cast (ref $point) (local.get 0)))
  (func (export "i31") (param i32) (result i32) (i31.get_s (ref.i31 (local.get 0))))
)
"""


@pytest.fixture(scope="module")
def exports():  # type: ignore[no-untyped-def]
    return wasmkit.Instance(wasmkit.Module(GC), store=wasmkit.Store("python")).exports


def test_gc_values_reach_python_as_opaque_objects_that_can_be_passed_back(exports) -> None:  # type: ignore[no-untyped-def]
    point = exports.point(7, 0x1FF)
    assert isinstance(point, Struct)
    assert exports.x(point) == 7
    assert exports.y_s(point) == -1  # 0x1FF stored in an i8 field: 0xFF, sign-extended
    assert isinstance(exports.bytes(3), Array)


def test_casts_and_tests(exports) -> None:  # type: ignore[no-untyped-def]
    point = exports.point(1, 2)
    assert exports.is_point(point) == 1 and exports.is_point(exports.bytes(1)) == 0
    assert exports.as_point(point) is point
    with pytest.raises(Trap, match="cast failure"):
        exports.as_point(exports.bytes(1))
    with pytest.raises(Trap, match="null structure reference"):
        exports.x(None)


def test_i31_keeps_31_bits(exports) -> None:  # type: ignore[no-untyped-def]
    assert exports.i31(-1) == -1
    assert exports.i31(0x4000_0000) == -(1 << 30)
    assert exports.i31(0x7FFF_FFFF) == -1


def test_a_huge_array_traps_instead_of_allocating(exports) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Trap, match="allocation size too large"):
        exports.bytes(0xFFFF_FFFF)


def test_short_lived_structs_are_reclaimed() -> None:
    """A loop allocating 2,000,000 structs (a million live at once would need far more than
    the limit) runs under a 300 MB address-space limit above the interpreter's."""
    script = textwrap.dedent(
        """
        import resource, sys, wasmkit
        module = wasmkit.Module('''(module (type $s (struct (field i64) (field i64)))
          (func (export "churn") (param $n i32) (result i64) (local $last (ref null $s))
            (loop $l (local.set $last (struct.new $s (i64.extend_i32_u (local.get $n)) (i64.const 1)))
              (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
            (struct.get $s 0 (local.get $last))))''')
        instance = wasmkit.Instance(module, store=wasmkit.Store("python"))
        used = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (used + 300_000_000, resource.RLIM_INFINITY))
        print(instance.exports.churn(2_000_000))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "1"
