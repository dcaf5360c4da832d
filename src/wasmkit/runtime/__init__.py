"""The runtime: stores, modules, instances and the objects they hold."""

from .func import Caller, Func
from .global_ import Global
from .instance import Exports, Extern, Instance
from .linker import Linker
from .memory import Memory
from .module import Module
from .store import Store, StoreLimits
from .table import Table
from .tag import Tag, WasmException

__all__ = [
    "Caller",
    "Func",
    "Global",
    "Exports",
    "Extern",
    "Instance",
    "Linker",
    "Memory",
    "Module",
    "Store",
    "StoreLimits",
    "Table",
    "Tag",
    "WasmException",
]
