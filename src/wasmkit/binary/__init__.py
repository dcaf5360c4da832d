"""The binary format: reading (`read_module`) and writing (`write_module`) modules."""

from .reader import read_module
from .writer import write_module

__all__ = ["read_module", "write_module"]
