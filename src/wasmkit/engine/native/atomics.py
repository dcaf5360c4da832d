"""The atomic operations as machine code that Python calls: how the Python engine's atomic
instructions stay atomic against native code on the same shared memory.

Native code accesses a shared memory with LLVM's atomic instructions, which know nothing of
the memory's Python lock (`runtime.atomics`), and taking that lock from machine code would
cost a call into Python per access. So once native code is bound to a shared memory, the
memory's `AtomicSync.machine` holds these functions and the Python engine's atomic
instructions on it call them instead of reading and writing through `struct`: both engines
then use the processor's atomic instructions, as seq_cst as native code's. Each function
takes the native address and two operands (zero-extended; unused ones 0) and returns the old
value (a load's value; 0 for a store), and is called without releasing the GIL (PYFUNCTYPE):
it takes nanoseconds, less than releasing and taking the GIL again.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable

import llvmlite.binding as llvm

from .codegen import FULL, LLVM_LOCK, _machine

__all__ = ["MachineAtomics", "machine_atomics"]

KINDS = ("load", "store", "add", "sub", "and", "or", "xor", "xchg", "cmpxchg")
WIDTHS = (1, 2, 4, 8)
_SIGNATURE = ctypes.PYFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64)


def _function(kind: str, width: int) -> str:
    """The IR of one operation: `kind` on a `width`-byte value."""
    t = f"i{8 * width}"
    head = f"define i64 @{kind}{width}(ptr %p, i64 %a, i64 %b) {{\n"
    narrow = f"  %x = trunc i64 %a to {t}\n" if width < 8 else f"  %x = add i64 %a, 0\n"
    if kind == "load":
        body = f"  %old = load atomic {t}, ptr %p seq_cst, align {width}\n"
    elif kind == "store":
        return f"{head}{narrow}  store atomic {t} %x, ptr %p seq_cst, align {width}\n  ret i64 0\n}}\n"
    elif kind == "cmpxchg":
        replacement = f"  %y = trunc i64 %b to {t}\n" if width < 8 else "  %y = add i64 %b, 0\n"
        body = (
            f"{narrow}{replacement}  %pair = cmpxchg ptr %p, {t} %x, {t} %y seq_cst seq_cst\n"
            f"  %old = extractvalue {{ {t}, i1 }} %pair, 0\n"
        )
    else:
        body = f"{narrow}  %old = atomicrmw {kind} ptr %p, {t} %x seq_cst\n"
    result = f"  %r = zext {t} %old to i64\n  ret i64 %r\n" if width < 8 else "  ret i64 %old\n"
    return head + body + result + "}\n"


class MachineAtomics:
    """Every atomic operation of every width, by (kind, width), compiled once per process."""

    def __init__(self) -> None:
        source = "".join(_function(kind, width) for kind in KINDS for width in WIDTHS)
        with LLVM_LOCK:
            module = llvm.parse_assembly(source)
            machine = _machine(FULL)
            module.triple = machine.triple
            self._engine = llvm.create_mcjit_compiler(module, machine)
            self._engine.finalize_object()
            self.operations: dict[tuple[str, int], Callable[[int, int, int], int]] = {
                (kind, width): _SIGNATURE(self._engine.get_function_address(f"{kind}{width}"))
                for kind in KINDS
                for width in WIDTHS
            }


@functools.cache
def machine_atomics() -> MachineAtomics:
    """The process's one set of machine-code atomic operations."""
    return MachineAtomics()
