"""The `spectest` module that the official scripts import from."""

from __future__ import annotations

from ..runtime.func import Func
from ..runtime.global_ import Global
from ..runtime.instance import Extern
from ..runtime.memory import Memory
from ..runtime.table import Table
from ..runtime.values import f32
from ..syntax.types import FuncType, GlobalType, Limits, MemoryType, TableType, ValType

__all__ = ["spectest_exports"]

I32, I64, F32, F64 = ValType.I32, ValType.I64, ValType.F32, ValType.F64


def _ignore(*args: object) -> None:
    """The print functions: the scripts only check that they can be called."""


def spectest_exports() -> dict[str, Extern]:
    prints = {
        "print": (),
        "print_i32": (I32,),
        "print_i64": (I64,),
        "print_f32": (F32,),
        "print_f64": (F64,),
        "print_i32_f32": (I32, F32),
        "print_f64_f64": (F64, F64),
    }
    exports: dict[str, Extern] = {name: Func(FuncType(params), _ignore, name) for name, params in prints.items()}
    exports["global_i32"] = Global(GlobalType(I32), 666)
    exports["global_i64"] = Global(GlobalType(I64), 666)
    exports["global_f32"] = Global(GlobalType(F32), f32(666.6))
    exports["global_f64"] = Global(GlobalType(F64), 666.6)
    exports["table"] = Table(TableType(Limits(10, 20), ValType.FUNCREF))
    exports["table64"] = Table(TableType(Limits(10, 20), ValType.FUNCREF, ValType.I64))
    exports["memory"] = Memory(MemoryType(Limits(1, 2)))
    return exports
